#!/usr/bin/python3
"""The pictures agree with the dumps they were drawn from (make test).

    check.py [DIR]          default docs/pictures
    check.py --self-test    each kind of wrong number is caught

For every DIR/NAME.json render.py wrote beside DIR/NAME.png, recompute the
numbers from the data file it names (DIR/data/...), with code of its own
(not render.py's), and compare:
  strip    pfns per kind below max_pfn and below the p2m limit, from the
           P2MR runs and the BALLOONED lines; the E820 plan's moves; the runs
           cover [0, limit) without gap or overlap
  tree     entries per level from the P2MT lines; private pages per level
           = the dump's page stats; those stats = docs/p2m.md's formula
           computed from the P2MR runs
  balloon  batches, pages and the memory reached per xl mem-set step, and
           each batch moving current by exactly its pages
  restore  pfns with a frame before xl save and after xl restore, and how
           many kept their mfn
Prints `PICTURE <name>: PASS|FAIL <detail>`; exit 1 if any failed.

    check.py --run RUN LOG [DATADIR]

The pictures against the code: LOG is a boot of tests/guest/runs.conf's
line RUN with p2m_runs on its command line (make test's guest runs);
DATADIR/*.txt (default docs/pictures/data) must hold the dump of the same
shape (pictures.sh names the run in its first line).  Compared, mfns
aside: the p2m's kinds in runs with max_pfn and the limit, its page-table
tree and page counts, the E820 plan.  A committed picture that the
current code would no longer draw fails here.
Standard library only.
"""
import json
import os
import re
import shutil
import sys
import tempfile

class Wrong(Exception):
    """The picture or its dump is not what it should be."""


LEAF, PTE, PMD = 512, 512 * 512, 512 * 512 * 512


def read_lines(path):
    """A data file or a serial log: no CRs, undecodable bytes replaced."""
    with open(path, errors="replace") as f:
        return [line.rstrip("\n").replace("\r", "") for line in f]


def dump_lines(path, index):
    """Lines of the index-th p2m_dump_runs() listing, and the lines before it."""
    before, current, n = [], [], 0
    for line in read_lines(path):
        if line.startswith("P2MR") or line.startswith("P2MT"):
            current.append(line)
            if line.startswith("P2MR END"):
                if n == index:
                    return before, current
                n, before, current = n + 1, [], []
        else:
            before.append(line)
    raise ValueError("%s has no dump number %d" % (path, index))


def entry_runs(lines):
    runs = []
    for line in lines:
        m = re.match(r"P2MR (\w+)-(\w+) (\w+)", line)
        if m and m[1] != "END":
            runs.append((int(m[1], 16), int(m[2], 16) + 1, m[3]))
    end = [l for l in lines if l.startswith("P2MR END")][0]
    max_pfn, limit = (int(x, 16) for x in re.findall(r"=(\w+)", end))
    return runs, max_pfn, limit


def ballooned_before(before):
    """BALLOONED runs printed after the last BALLOON-SETTLED before the dump."""
    out = []
    for line in before:
        if line.startswith("BALLOON-SETTLED"):
            out = []
        m = re.match(r"BALLOONED (\w+)-(\w+)$", line)
        if m:
            out.append((int(m[1], 16), int(m[2], 16) + 1))
    return out


def overlap(a, b, lo, hi):
    return max(0, min(b, hi) - max(a, lo))


def check_strip(j, data):
    before, lines = dump_lines(data, j["dump"])
    runs, max_pfn, limit = entry_runs(lines)
    at = 0
    for a, b, _ in runs:
        if a != at:
            raise Wrong("P2MR runs leave a gap or overlap at %#x" % at)
        at = b
    if at != limit:
        raise Wrong("P2MR runs end at %#x, the limit is %#x" % (at, limit))
    balloon = ballooned_before(before)
    want = {}
    for lo, hi, key in ((0, max_pfn, "pfns_below_max_pfn"), (0, limit, "pfns_below_limit")):
        n = {"ram": 0, "identity": 0, "missing": 0, "ballooned": 0, "foreign": 0}
        for a, b, kind in runs:
            n[kind] += overlap(a, b, lo, hi)
            if kind == "missing":
                took = sum(overlap(max(a, x), min(b, y), lo, hi) for x, y in balloon if x < b and y > a)
                n["missing"] -= took
                n["ballooned"] += took
        if sum(n.values()) != hi - lo:
            raise Wrong("the kinds add up to %d pfns, not %d" % (sum(n.values()), hi - lo))
        want[key] = n
    moves = []
    with open(data) as f:
        for line in f:
            m = re.match(r"  move\s+pfn 0x(\w+)-0x(\w+) -> 0x(\w+)-0x(\w+)", line)
            if m:
                moves.append([int(x, 16) for x in m.groups()])
    want.update(max_pfn=max_pfn, limit=limit, moves=moves,
                moved_pages=sum(m[1] - m[0] for m in moves))
    compare(j, want)
    return "ram %d, identity %d, missing %d, ballooned %d below max_pfn %#x" % (
        want["pfns_below_max_pfn"]["ram"], want["pfns_below_max_pfn"]["identity"],
        want["pfns_below_max_pfn"]["missing"], want["pfns_below_max_pfn"]["ballooned"], max_pfn)


def page_formula(runs, limit, frame_list):
    """docs/p2m.md's page counts, written out again (render.py has its own):
    a leaf per 2 MiB chunk with RAM/foreign entries or partly 1:1; a PTE
    page per GiB with such a chunk or a whole-chunk 1:1 range, none for a
    wholly 1:1 GiB (even one that held RAM at boot); a PMD page per 512 GiB
    with PTE pages or a wholly 1:1 GiB; L3 pages; 5 shared; with a frame
    list 2 + a mid per GiB with leaves."""
    leaf_chunks, id_chunks, id_gibs = set(), set(), set()
    for a, b, kind in runs:
        if kind == "missing":
            continue
        c0, c1 = a // LEAF, -(-b // LEAF)
        pieces = [(c0, c1)]
        if kind == "identity":
            g0, g1 = -(-a // PTE), b // PTE
            if g0 < g1:
                id_gibs.update(range(g0, g1))
                pieces = [(c0, g0 * 512), (g1 * 512, c1)]
        for lo, hi in pieces:
            for c in range(lo, hi):
                if kind == "identity" and a <= c * LEAF and b >= (c + 1) * LEAF:
                    id_chunks.add(c)
                else:
                    leaf_chunks.add(c)
    gibs_pte = {c // 512 for c in leaf_chunks | id_chunks}
    gibs_mid = {c // 512 for c in leaf_chunks}
    pmds = {g // 512 for g in gibs_pte | id_gibs}
    l3 = -(-limit // (PMD * 512))
    fl = 2 + len([g for g in gibs_mid if g < 512]) if frame_list else 0
    total = len(leaf_chunks) + len(gibs_pte) + len(pmds) + l3 + 5 + fl
    return {"leaves": len(leaf_chunks), "pte": len(gibs_pte), "pmd": len(pmds), "l3": l3,
            "shared": 5, "fl": fl, "total": total}


def check_tree(j, data):
    before, lines = dump_lines(data, j["dump"])
    runs, _, limit = entry_runs(lines)
    unit = {"pmd": PMD, "pte": PTE, "leaf": LEAF}
    entries = {lv: {"private": 0, "missing": 0, "identity": 0} for lv in unit}
    pages = {}
    for line in lines:
        m = re.match(r"P2MT (pmd|pte|leaf) (\w+)-(\w+) (\w+)$", line)
        if m:
            entries[m[1]][m[4]] += (int(m[3], 16) + 1 - int(m[2], 16)) // unit[m[1]]
        elif line.startswith("P2MT pages "):
            pages = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    for level, key in (("leaf", "leaves"), ("pte", "pte"), ("pmd", "pmd")):
        if entries[level]["private"] != pages[key]:
            raise Wrong("%d private %s entries in the tree, %d %s pages in the stats" % (
                entries[level]["private"], level, pages[key], key))
    predicted = page_formula(runs, limit, pages.get("fl", 0) > 0)
    if j["dump"] == 0 and predicted != pages:
        raise Wrong("the formula predicts %s, the dump says %s" % (predicted, pages))
    compare(j, {"entries": entries, "pages": pages, "formula": predicted})
    return "%d pages = the formula; %d leaves, %d PTE, %d PMD" % (
            pages["total"], pages["leaves"], pages["pte"], pages["pmd"])


def check_balloon(j, data):
    steps, cur, current_kb = [], None, None
    with open(data) as f:
        for line in f:
            m = re.match(r"BALLOON-(TARGET|BATCH|SETTLED) (.*)", line)
            if not m:
                continue
            f_ = {k: int(v) if v.isdigit() else v for k, v in re.findall(r"(\w+)=(\S+)", m[2])}
            if m[1] == "TARGET":
                cur = {"target_kb": f_["target_kb"], "start_kb": current_kb, "batches": 0,
                       "pages": 0, "end_kb": current_kb, "settled_kb": None}
                steps.append(cur)
            elif m[1] == "BATCH":
                if cur["end_kb"] is not None and abs(f_["current_kb"] - cur["end_kb"]) != 4 * f_["pages"]:
                    raise Wrong("a batch of %d pages moved current from %d to %d KiB" % (
                        f_["pages"], cur["end_kb"], f_["current_kb"]))
                cur["batches"] += 1
                cur["pages"] += f_["pages"]
                cur["end_kb"] = current_kb = f_["current_kb"]
            else:
                current_kb = f_["current_kb"]
                if cur and cur["settled_kb"] is None:
                    cur["settled_kb"] = current_kb
    steps = [s for s in steps if s["batches"]]
    for s in steps:
        if s["settled_kb"] != s["target_kb"]:
            raise Wrong("the step to %d KiB settled at %s" % (s["target_kb"], s["settled_kb"]))
    compare(j, {"steps": steps})
    return "%d steps, %d batches" % (
        len(steps), sum(s["batches"] for s in steps))


def check_restore(j, paths):
    frames = []
    for path in paths:
        m = {}
        with open(path) as f:
            for line in f:
                r = re.match(r"(\w+)-(\w+) (\w+)$", line.strip())
                if r and r[3] != "missing":
                    a, b, mfn = int(r[1], 16), int(r[2], 16) + 1, int(r[3], 16)
                    m.update((p, mfn + p - a) for p in range(a, b))
        frames.append(m)
    b, a = frames
    want = {"pfns_with_frame_before": len(b), "pfns_with_frame_after": len(a),
            "same_pfns": set(b) == set(a), "same_mfn": sum(1 for p in b if a.get(p) == b[p])}
    compare(j, want)
    return "%d pfns before and after, %d kept their mfn" % (
        len(b), want["same_mfn"])


PLAN_LINE = re.compile(r"  (identity|move|release|kept|growth) ")


def live_facts(path):
    """What a boot's first p2m dump and its E820 plan say, mfns left out."""
    before, lines = dump_lines(path, 0)
    runs, max_pfn, limit = entry_runs(lines)
    layout = []
    for a, b, kind in runs:         # ram runs split where mfns jump: join them
        if layout and layout[-1][2] == kind and layout[-1][1] == a:
            layout[-1][1] = b
        else:
            layout.append([a, b, kind])
    count = {}
    for a, b, kind in runs:
        count[kind] = count.get(kind, 0) + overlap(a, b, 0, max_pfn)
    return {"entries": (max_pfn, limit, [tuple(r) for r in layout]),
            "tree": [l for l in lines if l.startswith("P2MT ")],
            "plan": [l.strip() for l in before if PLAN_LINE.match(l)],
            "count": count}


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "item %d: picture %s, this boot %s" % (i, x, y)
    return "picture %d items, this boot %d" % (len(a), len(b))


def check_run(run, log, data_dir):
    """PICTURE live lines for a guest run's log; returns the failures."""
    header = re.compile(r"# dom0: runs\.conf %s:" % re.escape(run))
    data = [os.path.join(data_dir, n) for n in sorted(os.listdir(data_dir))
            if n.endswith(".txt") and header.match(read_lines(os.path.join(data_dir, n))[0])]
    if len(data) != 1:
        print("PICTURE live %s: FAIL %d data files in %s name run %s "
              "(scripts/pictures/pictures.sh writes that header)" % (run, len(data), data_dir, run))
        return 1
    name = os.path.basename(data[0])
    try:
        want, got = live_facts(data[0]), live_facts(log)
    except (OSError, ValueError, IndexError) as e:
        print("PICTURE live %s: FAIL no p2m_runs dump to compare with %s: %s" % (run, name, e))
        return 1
    failed = 0
    for aspect, what in (("entries", "p2m kinds in runs, max_pfn, limit"),
                         ("tree", "P2MT tree and page counts"),
                         ("plan", "E820 plan")):
        w, g = want[aspect], got[aspect]
        if aspect == "entries":
            same = w == g
            detail = ("ram %(ram)d, identity %(identity)d, missing %(missing)d pfns below max_pfn"
                      % dict({"ram": 0, "identity": 0, "missing": 0}, **got["count"]))
            if not same:
                detail = ("max_pfn/limit %#x/%#x, picture %#x/%#x; " % (g[0], g[1], w[0], w[1]) +
                          first_difference(w[2], g[2]))
        else:
            same = w == g
            detail = "%d lines" % len(g) if same else first_difference(w, g)
        print("PICTURE live %s %s: %s %s as in %s%s" % (
            run, aspect, "PASS" if same else "FAIL", what, name,
            " (" + detail + ")" if same else ": " + detail))
        failed += not same
    return failed


def compare(j, want):
    for key, value in want.items():
        if j.get(key) != value:
            raise Wrong("%s: the picture says %s, the dump %s" % (key, j.get(key), value))


def check_dir(d):
    names = sorted(n[:-5] for n in os.listdir(d) if n.endswith(".json"))
    failed = 0
    if not names:
        print("PICTURE %s: FAIL no pictures (.json) there" % d)
        return 1
    for name in names:
        with open(os.path.join(d, name + ".json")) as f:
            j = json.load(f)
        try:
            if not os.path.exists(os.path.join(d, name + ".png")):
                raise Wrong("no %s.png beside its numbers" % name)
            if j["picture"] == "restore":
                result = check_restore(j, [os.path.join(d, "data", p) for p in j["data"]])
            else:
                check = {"strip": check_strip, "tree": check_tree, "balloon": check_balloon}
                result = check[j["picture"]](j, os.path.join(d, "data", j["data"]))
            print("PICTURE %s: PASS %s" % (name, result))
        except (Wrong, OSError, ValueError, KeyError, IndexError) as e:
            failed += 1
            print("PICTURE %s: FAIL %s" % (name, e))
    return failed


def self_test():
    """Spoil one number per kind of picture: each must be caught."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../docs/pictures")
    spoils = [("strip-dom0-64m", lambda j: j["pfns_below_max_pfn"].update(ram=1)),
              ("tree-dom0-4g-pci-hole", lambda j: j["formula"].update(pte=5)),
              ("balloon-domu", lambda j: j["steps"][0].update(batches=99)),
              ("restore-domu", lambda j: j.update(same_mfn=7))]
    bad = 0
    for name, spoil in spoils:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(src, tmp, dirs_exist_ok=True)
            path = os.path.join(tmp, name + ".json")
            with open(path) as f:
                j = json.load(f)
            spoil(j)
            with open(path, "w") as f:
                json.dump(j, f)
            with open(os.devnull, "w") as null:
                saved, sys.stdout = sys.stdout, null
                try:
                    caught = check_dir(tmp) == 1
                finally:
                    sys.stdout = saved
        print("PICTURE self-test %s: %s" % (name, "PASS a wrong number is caught" if caught
                                             else "FAIL a wrong number went unnoticed"))
        bad += not caught
    # The live check: a data file read as a boot's log matches itself, and
    # a spoiled page count, kind or plan line in the "log" is caught.
    data = os.path.join(src, "data")
    log_spoils = [("none", None), ("pages", ("P2MT pages leaves=", "P2MT pages leaves=9")),
                  ("kind", ("P2MR 9f-ff identity", "P2MR 9f-ff missing")),
                  ("plan", ("  identity pfn 0x9f-", "  identity pfn 0x9e-"))]
    for what, spoil in log_spoils:
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "guest.log")
            with open(os.path.join(data, "dom0-64m.txt")) as f:
                text = f.read()
            if spoil:
                text = text.replace(spoil[0], spoil[1], 1)
            with open(log, "w") as f:
                f.write(text.replace("\n", "\r\n"))      # as the serial log has it
            with open(os.devnull, "w") as null:
                saved, sys.stdout = sys.stdout, null
                try:
                    failures = check_run("dom0-64m", log, data)
                finally:
                    sys.stdout = saved
        ok = failures == (0 if spoil is None else 1)
        print("PICTURE self-test live %s: %s" % (what, "PASS" if ok else "FAIL") + (
            " the data file matches itself" if spoil is None else
            " a boot that differs in its %s is caught" % what if ok else
            " %d failures" % failures))
        bad += not ok
    return bad


def main():
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(1 if self_test() else 0)
    if sys.argv[1:2] == ["--run"] and len(sys.argv) in (4, 5):
        data = sys.argv[4] if len(sys.argv) == 5 else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "../../docs/pictures/data")
        sys.exit(1 if check_run(sys.argv[2], sys.argv[3], data) else 0)
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "../../docs/pictures")
    sys.exit(1 if check_dir(d) else 0)


if __name__ == "__main__":
    main()
