"""Writes docs/PERFORMANCE.md from one bench/run: every figure with its baseline, ratio, goal, machine, command."""
import json, os, platform, subprocess, sys, datetime

jmh_file, unload_file, fuse_file, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
fanotify_file = sys.argv[5] if len(sys.argv) > 5 else ""
jmh = json.load(open(jmh_file))
unload = json.load(open(unload_file))


def res(name, **params):
    for r in jmh:
        if r["benchmark"].endswith(name) and all(r.get("params", {}).get(k) == v for k, v in params.items()):
            p = r["primaryMetric"]
            alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            err = p.get("scoreError")
            return p["score"], err if isinstance(err, (int, float)) and err == err else 0.0, alloc
    return None, None, None


def fmt(x, unit="ns"):
    return "n/a" if x is None else ("%.1f %s" % (x, unit))


FANOTIFY_INTRO = ("What one permission listener adds to `open`+`close` of a cached file and to a 4 KiB `pread` of it on a"
                  " loop-mounted ext4: no listener, the C listener of `../shared/tools/fanotify-baseline` (content mode:"
                  " one event per call, as Altitude's pre-content group gets) and `altitude mount --real` with one"
                  " passThrough filter, in turns, three rounds, medians (`bench/fanotify-bench.sh`). The loop is on CPU 0;"
                  " the listener on CPU 0 (\"same core\": its two context switches and its work) or CPU 1 (\"other"
                  " core\": waking the idle vCPU dominates).\n")


def met(ok):
    return "met" if ok else "**not met**"


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
mem = next((int(l.split()[1]) // (1024 * 1024) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
jdk = jmh[0]["jdkVersion"] + " (" + jmh[0]["vmName"] + ")" if jmh else "?"
o = []
o.append("# Performance\n")
o.append("Every figure is measured side by side with its baseline in one run of `%s`, written by it. Ratios are"
         " what is compared; absolute times are for orientation.\n" % command)
o.append("- Run: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
o.append("- Machine: %d cores (%s), %d GiB, Linux %s; JDK %s" % (os.cpu_count(), cpu, mem, platform.release(), jdk))
o.append("- JMH 1.37, one fork, GC profiler; the unload run is `dev.altitude.bench.UnloadLatency 2000`;"
         " FUSE is `bench/fuse-bench.sh 10`.\n")

# 1. dispatch
o.append("## Dispatch cost per pass-through filter\n")
o.append("One READ through a volume whose backend completes it at once, with n pass-through filters (pre and post"
         " each); per filter = (time with n − time with none) / n. Allocation per filter = (allocated with n − allocated"
         " with one) / (n − 1): with no filter the JIT removes the operation's own objects (escape analysis), with one"
         " it cannot, and what must not grow is what each further filter costs. Goal: ≤ 20 ns per filter, no"
         " allocation per filter.\n")
o.append("| threads | filters | time per operation | per filter | allocated per operation | per filter |")
o.append("| --- | --- | --- | --- | --- | --- |")
worst, worst_alloc = 0, 0
for bench, threads in (("read1Thread", 1), ("read2Threads", 2)):
    t0, _, a0 = res("DispatchBenchmark." + bench, filters="0")
    _, _, a1 = res("DispatchBenchmark." + bench, filters="1")
    for n in ("0", "1", "3", "10"):
        t, e, a = res("DispatchBenchmark." + bench, filters=n)
        if t is None:
            continue
        per = (t - t0) / int(n) if n != "0" else None
        pera = (a - a1) / (int(n) - 1) if int(n) > 1 and a is not None and a1 is not None else None
        if per is not None:
            worst = max(worst, per)
            worst_alloc = max(worst_alloc, pera or 0)
        o.append("| %d | %s | %.1f ± %.1f ns | %s | %s | %s |" % (threads, n, t, e, fmt(per), fmt(a, "B"), fmt(pera, "B")))
o.append("\nGoal: %s (worst %.1f ns per filter); allocation per filter: %s (%.0f B).\n"
         % (met(worst <= 20), worst, met(worst_alloc < 1), worst_alloc))

# 2. NIO
o.append("## NIO cached reads and writes, 3 pass-through filters\n")
o.append("Positional `FileChannel` reads and writes (direct buffers) of a 1 MiB file in the page cache; baseline: the JDK's"
         " own provider on the same directory. Ratio = raw time / Altitude time. Goal: ≥ 0.95× at 4 KiB, ≥ 0.98× at 64 KiB"
         " (3 filters).\n")
o.append("| operation | size | raw | 0 filters | 1 filter | 3 filters | ratio, 3 filters | goal |")
o.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
for op in ("read", "write"):
    for size, goal in (("4096", 0.95), ("65536", 0.98)):
        raw = res("NioBenchmark." + op, size=size, filters="raw")[0]
        cols = [res("NioBenchmark." + op, size=size, filters=f)[0] for f in ("0", "1", "3")]
        if raw is None or cols[2] is None:
            continue
        ratio = raw / cols[2]
        o.append("| %s | %s | %.0f ns | %s | %s | %s | %.2f× | %s |" % (op, size, raw, *[fmt(c) for c in cols], ratio,
                                                                      met(ratio >= goal)))
o.append("")

# 2b. NIO small files
o.append("## NIO small-file calls\n")
o.append("The common calls of `Files` on small files (`NioSmallFileBenchmark`): `exists`, `readAttributes` (basic),"
         " `readAllBytes` and `writeString` of 1 KiB, a directory stream of 100 entries, and a walk and copy"
         " (`COPY_ATTRIBUTES`) of a tree of 3,000 files; baseline: the JDK's own provider on the same directory."
         " Ratio = Altitude time / JDK time. Goals: ≤ 1.05× with no filter, ≤ 1.15× with one pass-through filter,"
         " ≤ 1.3× with three.\n")
o.append("| call | JDK | 0 filters | 1 filter | 3 filters | ratios (0 / 1 / 3) | goals |")
o.append("| --- | --- | --- | --- | --- | --- | --- |")
for op in ("exists", "readAttributes", "readAllBytes", "writeString", "directoryStream", "walkAndCopy"):
    raw = res("NioSmallFileBenchmark." + op, filters="raw")[0]
    cols = [res("NioSmallFileBenchmark." + op, filters=f)[0] for f in ("0", "1", "3")]
    if raw is None or None in cols:
        continue
    unit = "ms" if op == "walkAndCopy" else "ns"
    ratios = [c / raw for c in cols]
    goals = [r <= g for r, g in zip(ratios, (1.05, 1.15, 1.3))]
    o.append("| %s | %s | %s | %s | %s | %.2f / %.2f / %.2f | %s |" % (
        op, fmt(raw, unit), *[fmt(c, unit) for c in cols], *ratios,
        " / ".join("met" if g else "**not met**" for g in goals)))
o.append("")

# 3. ports
o.append("## Port round trip, client in another process\n")
o.append("A filter's message and the reply of a client in another JVM over the port's Unix socket; baseline: the same"
         " bytes echoed over a bare Unix socket to another JVM. Ratio = raw time / port time. Goal: ≥ 0.8×.\n")
o.append("| message | port | raw socket | ratio | goal |")
o.append("| --- | --- | --- | --- | --- |")
for size in ("64", "4096"):
    p = res("PortRoundTripBenchmark.portRoundTrip", size=size)[0]
    r = res("PortRoundTripBenchmark.rawUnixSocketRoundTrip", size=size)[0]
    if p and r:
        o.append("| %s B | %.1f µs | %.1f µs | %.2f× | %s |" % (size, p, r, r / p, met(r / p >= 0.8)))
o.append("")

# 4/5. unload
u, l = unload["unload_idle"], unload["unload_under_io"]
o.append("## Unload latency, and the others' I/O during unloads\n")
o.append("`unloadFilter` of a pass-through filter, 2,000 cycles of load then unload; idle, then with 2 threads doing"
         " I/O through it (its callbacks take well under a microsecond, so the goal under load is about 1 ms). Then the"
         " p99 latency of single operations through another filter while a third one is loaded and unloaded over and"
         " over, against the same without the churn.\n")
o.append("| figure | p50 | p99 | max | goal |")
o.append("| --- | --- | --- | --- | --- |")
o.append("| unload, idle | %.1f µs | %.1f µs | %.1f µs | ≤ 100 µs (p99): %s |" % (u["p50_us"], u["p99_us"], u["max_us"],
                                                                               met(u["p99_us"] <= 100)))
o.append("| unload, 2 threads of I/O | %.1f µs | %.1f µs | %.1f µs | ≤ 1 ms (p99): %s |" % (l["p50_us"], l["p99_us"],
                                                                                         l["max_us"], met(l["p99_us"] <= 1000)))
ratio = unload["ops_p99_during_unloads_ns"] / unload["ops_p99_ns"]
o.append("| other filters' operations, p99 | %d ns without unloads | %d ns during unloads | %.2f× | ≤ 1.5×: %s |"
         % (unload["ops_p99_ns"], unload["ops_p99_during_unloads_ns"], ratio, met(ratio <= 1.5)))
o.append("")

# 6. FUSE
o.append("## FUSE mounts: each data path against its peer\n")
if fuse_file:
    o.append("fio (`psync`, one job, 256 MiB, 10 s, the page cache kept) and 2,000 creates, `ls -l` and `rm -rf`:"
             " each data path of `altitude mount` against its fair peer in the same run (`bench/fuse-bench.sh 10`).\n")
    o.append(open(fuse_file).read().strip())
else:
    o.append("Not run (needs root, /dev/fuse, fio and bindfs): `sudo bench/run`.")
o.append("")

# 7. fanotify
o.append("## Real volumes (fanotify): the cost a listener adds, against a C listener\n")
if fanotify_file:
    o.append(FANOTIFY_INTRO)
    o.append(open(fanotify_file).read().strip())
else:
    o.append("Not run (needs root, gcc and mkfs.ext4): `sudo bench/run`.")
o.append("")
notes = os.path.join(os.path.dirname(__file__), "notes.md")
if os.path.exists(notes):
    o.append(open(notes).read().strip())
print("\n".join(o))
