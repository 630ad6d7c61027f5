"""Prints bench/wan/run.sh's table, one block per RTT, from its runs.tsv.

    python3 bench/wan/table.py runs.tsv "site line" RATE

Times are medians over the rounds; peak RSS and connections are the most seen in any round.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict, OrderedDict


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    path, site, rate = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = defaultdict(lambda: defaultdict(list))
    rtts = []
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["rtt_ms"] not in rtts:
                rtts.append(r["rtt_ms"])
            runs[r["rtt_ms"]][r["route"]].append(r)
    print("%s; link rate %s" % (site, rate))
    head = ("RTT ms", "rounds", "by-hand s", "Ferry s", "Ferry/hand",
            "down s F/lftp", "up s F/lftp", "peak RSS MB F/hand",
            "max conns F ftp/ssh/db = db src+dst (FTP logins)", "max conns hand ftp/ssh/db = db src+dst (FTP logins)")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    steps_lines = []
    for rtt in rtts:
        h, fe = runs[rtt]["by-hand"], runs[rtt]["ferry"]
        num = lambda rs, k: [float(r[k]) for r in rs]
        hw, fw = med(num(h, "wall_s")), med(num(fe, "wall_s"))
        most = lambda rs, k: max(int(r.get(k) or 0) for r in rs)
        # The database count is the one MariaDB's, then (when sampled) per side: source/destination user.
        sides = lambda rs: " = %d+%d" % (most(rs, "max_mysql_src"), most(rs, "max_mysql_dst")) if rs[0].get("max_mysql_src") else ""
        conns = lambda rs: ("/".join(str(most(rs, k)) for k in ("max_ftp_conns", "max_ssh_conns", "max_mysql_conns"))
                            + sides(rs) + " (%d)" % most(rs, "max_ftp_logins")) if rs else "-"
        rss = lambda rs: max(num(rs, "rss_kb")) / 1024 if rs else float("nan")
        print("| %s | %d | %.1f | %.1f | %.2f | %.1f / %.1f | %.1f / %.1f | %.0f / %.0f | %s | %s |" % (
            rtt, min(len(h), len(fe)), hw, fw, fw / hw if hw else float("nan"),
            med(num(fe, "files_down_s")), med(num(h, "files_down_s")),
            med(num(fe, "files_up_s")), med(num(h, "files_up_s")),
            rss(fe), rss(h), conns(fe), conns(h)))
        per = OrderedDict()
        for r in fe:
            for part in r["steps"].split("; "):
                name, _, secs = part.rpartition(" ")
                if name:
                    per.setdefault(name, []).append(float(secs.rstrip("s")))
        steps_lines.append("RTT %s ms, Ferry's steps (median s): %s" % (
            rtt, "; ".join("%s %.1f" % (k, med(v)) for k, v in per.items())))
        hs = OrderedDict()
        for r in h:
            for part in r["steps"].split("; "):
                name, _, secs = part.rpartition(" ")
                if name:
                    hs.setdefault(name, []).append(float(secs.rstrip("s")))
        steps_lines.append("RTT %s ms, by-hand steps (median s): %s" % (
            rtt, "; ".join("%s %.1f" % (k, med(v)) for k, v in hs.items())))
    print()
    print("\n".join(steps_lines))
    listing = os.path.join(os.path.dirname(path), "list.tsv")
    if os.path.exists(listing):
        by = OrderedDict()
        with open(listing) as f:
            for r in csv.DictReader(f, delimiter="\t"):
                by.setdefault(r["rtt_ms"], []).append(r)
        for rtt, rs in by.items():
            print("RTT %s ms, listing a %s-folder tree over FTP on %s connections (Ferry's Analyse source listing): %s s (median %.1f s)" % (
                rtt, rs[0]["folders"], rs[0]["connections"], ", ".join(r["seconds"] for r in rs), med([float(r["seconds"]) for r in rs])))
    print("(times are medians of the rounds, every run checked before it counted; down/up are Ferry's"
          " file download/upload seconds from its report against lftp mirror's; connections are the"
          " most established TCP connections to each server seen at once, sampled every 0.1 s; FTP counts"
          " control and passive data connections, FTP logins the control connections alone; the one MariaDB"
          " serves both databases: src+dst are the most connections its source and destination users"
          " held at once, from its processlist)")


main()
