# timeline.py LIST.json: each migration of a batch (from `ferry list --batch NAME --json`)
# with its start and end counted from the first one's creation, and how many ran at once.
import json
import sys

rows = sorted(json.load(open(sys.argv[1]))["rows"], key=lambda r: r["startedAt"])
t0 = min(r["createdAt"] for r in rows)
end = max(r["completedAt"] for r in rows)
for r in rows:
    print("  %-20s start %6.1fs end %6.1fs took %5.1fs" % (
        r["domain"], (r["startedAt"] - t0) / 1e3, (r["completedAt"] - t0) / 1e3, (r["completedAt"] - r["startedAt"]) / 1e3))
ev = sorted([(r["startedAt"], 1) for r in rows] + [(r["completedAt"], -1) for r in rows])
cur = peak = 0
for _, d in ev:
    cur += d
    peak = max(peak, cur)
busy = sum(r["completedAt"] - r["startedAt"] for r in rows)
print("  timeline: %d migrations, first created to last completed %.1fs, at most %d at once, %.2f at once on average, %.1fs per migration" % (
    len(rows), (end - t0) / 1e3, peak, busy / (end - t0), busy / len(rows) / 1e3))
