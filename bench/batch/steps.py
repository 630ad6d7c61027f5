# steps.py FERRY.DB: the median seconds of each step over the migrations in Ferry's history
# (read-only), to see where a route's time went.
import sqlite3, sys, statistics
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
order = ["check_destination","analyse_source","download_files","export_database","upload_files","import_database","configure_wordpress","validate","clean_up"]
d = {}
for step, a, b in c.execute("select step, started_at, finished_at from steps where finished_at > 0"):
    d.setdefault(step, []).append((b - a) / 1000)
print("; ".join("%s %.1fs" % (s, statistics.median(d[s])) for s in order if s in d), "(median seconds per migration, %d migrations)" % max(len(v) for v in d.values()))
