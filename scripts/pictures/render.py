#!/usr/bin/python3
"""Draw minnow's memory from its dumps (scripts/pictures/collect.sh gets them).

    render.py DATA_DIR OUT_DIR

DATA_DIR holds the data files collect.sh writes (dumps.py reads them);
every picture OUT_DIR/NAME.png gets OUT_DIR/NAME.json beside it: the
numbers it plotted and the data file and dump they came from, which
scripts/pictures/check.py recomputes from that data file.  Prints the
path of each picture.

Pictures (docs/lab.md shows them):
  strip-SHAPE     the pfn space as minnow's p2m sees it (RAM, 1:1, missing,
                  ballooned, foreign runs), the E820 beneath it, and arrows
                  for the frames the E820 plan moved out of holes
  tree-SHAPE      the p2m's own page tables: private and shared pages per
                  level, with the page counts docs/p2m.md's formula predicts
  balloon-domu    target and current memory while xl mem-set steps a domU
                  down and up, one mark per hypercall batch
  restore-domu    the domU's p2m as the tools read it, before xl save and
                  after xl restore: the same pfns, new mfns
"""
import json
import os
import sys

import matplotlib
import matplotlib.ticker
matplotlib.use("Agg")
import matplotlib.pyplot as plt                 # noqa: E402
from matplotlib.patches import FancyArrowPatch, Patch, FancyBboxPatch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dumps import Data, tools_runs, PER_LEAF, PER_PTE, PER_PMD   # noqa: E402

KIND_COLOR = {"ram": "#4caf50", "identity": "#5c7cfa", "missing": "#eeeeee",
              "ballooned": "#ff9800", "foreign": "#ab47bc"}
E820_COLOR = {1: "#a5d6a7", 2: "#bdbdbd", 3: "#fff59d", 4: "#ffcc80"}
PAGE_COLOR = {"private": "#4caf50", "missing": "#eeeeee", "identity": "#5c7cfa"}
GIB = PER_PTE
SAVE = {"dpi": 110, "metadata": {"Software": None}}


def hexs(n):
    return "%#x" % n


def size_text(pfns):
    mib = pfns * 4 / 1024
    return "%g GiB" % (mib / 1024) if mib >= 1024 else "%g MiB" % round(mib, 1)


def write(out, name, fig, numbers):
    png = os.path.join(out, name + ".png")
    fig.savefig(png, **SAVE)
    plt.close(fig)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(numbers, f, indent=1, sort_keys=True)
        f.write("\n")
    print(png)


# ---- the strip ------------------------------------------------------------------

def categorize(dump):
    """p2m runs with missing pfns in the balloon split off: [(first, end, kind)]."""
    out = []
    for first, end, kind, _ in dump.runs:
        if kind != "missing" or not dump.ballooned:
            out.append((first, end, kind))
            continue
        at = first
        for b0, b1 in dump.ballooned:
            b0, b1 = max(b0, first), min(b1, end)
            if b0 >= b1:
                continue
            if at < b0:
                out.append((at, b0, "missing"))
            out.append((b0, b1, "ballooned"))
            at = b1
        if at < end:
            out.append((at, end, "missing"))
    return out


def counts(runs, lo, hi):
    n = {k: 0 for k in KIND_COLOR}
    for first, end, kind in runs:
        n[kind] += max(0, min(end, hi) - max(first, lo))
    return n


def view_end(data, dump):
    """Enough of the pfn space to show RAM, the E820's RAM and every move."""
    end = dump.max_pfn
    for a, b, _, t in data.e820:
        if t == 1 and b >> 12 < dump.limit:
            end = max(end, b >> 12)
    for move in data.plan["move"]:
        end = max(end, move[3])
    step = GIB if end > GIB // 2 else PER_LEAF * 8
    return min(dump.limit, (end * 21 // 20 // step + 1) * step)


def strip(data, dump_index, name, title, out, source):
    dump = data.dumps[dump_index]
    runs = categorize(dump)
    end = view_end(data, dump)
    least = end / 400                   # narrower runs are drawn this wide
    fig, ax = plt.subplots(figsize=(12, 3.6))
    for first, last, kind in runs:
        if first >= end:
            continue
        w = max(min(last, end) - first, least)
        ax.broken_barh([(first, w)], (2, 1), facecolors=KIND_COLOR[kind],
                       edgecolor="#555555" if kind != "missing" else "#bbbbbb", lw=0.3)
    for a, b, tname, t in data.e820:
        a, b = a >> 12, (b + 4095) >> 12
        if a >= end:
            continue
        ax.broken_barh([(a, max(min(b, end) - a, least))], (0.2, 0.8),
                       facecolors=E820_COLOR.get(t, "#ffffff"), edgecolor="#555555", lw=0.3)
        if min(b, end) - a > end / 12:
            ax.text((a + min(b, end)) / 2, 0.6, "E820 " + tname, ha="center", va="center",
                    fontsize=8)
    moved = 0
    for i, (src, src_end, dst, dst_end) in enumerate(data.plan["move"]):
        # Up from the hole, across, down onto the new pfns: one level per move.
        moved += src_end - src
        x0, x1, top = (src + src_end) / 2, (dst + dst_end) / 2, 3.35 + 0.45 * i
        ax.plot([x0, x0, x1], [3.02, top, top], color="#c62828", lw=1.1)
        ax.annotate("", xy=(x1, 3.02), xytext=(x1, top),
                    arrowprops={"arrowstyle": "-|>", "color": "#c62828", "lw": 1.1})
        ax.text((x0 + x1) / 2, top + 0.06, "frames of pfns %s-%s (in a hole) move to %s "
                "(%d pages)" % (hexs(src), hexs(src_end - 1), hexs(dst), src_end - src),
                ha="center", va="bottom", fontsize=7, color="#c62828")
    n_all = counts(runs, 0, dump.limit)
    n_low = counts(runs, 0, dump.max_pfn)
    legend = [Patch(facecolor=KIND_COLOR[k], edgecolor="#555555",
                    label="%s: %d pfns below max_pfn" % (k, n_low[k]))
              for k in KIND_COLOR if n_all[k] or k in ("ram", "identity", "missing")]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=5,
              fontsize=8, frameon=False)
    ax.set_xlim(0, end)
    ax.set_ylim(0, 3.6 + 0.45 * len(data.plan["move"]))
    ax.set_yticks([0.6, 2.5], ["E820", "p2m"])
    ticks = [end * i // 8 for i in range(9)]
    ax.set_xticks(ticks, ["%s\n%s" % (hexs(t), size_text(t)) for t in ticks], fontsize=7)
    ax.set_xlabel("pfn (and where it sits in the pseudo-physical address space)", fontsize=8)
    rest = [k for f, l, k in runs if l > end]
    ax.set_title("%s: max_pfn %s; beyond the view, up to the p2m limit %s (%s): %s"
                 % (title, hexs(dump.max_pfn), hexs(dump.limit), size_text(dump.limit),
                    "/".join(sorted(set(rest))) or "-"), fontsize=9)
    fig.subplots_adjust(bottom=0.33, top=0.88, left=0.06, right=0.98)
    write(out, name, fig, {
        "picture": "strip", "data": source, "dump": dump_index,
        "max_pfn": dump.max_pfn, "limit": dump.limit, "view_end": end,
        "pfns_below_max_pfn": n_low, "pfns_below_limit": n_all,
        "moves": data.plan["move"], "moved_pages": moved,
    })


# ---- the tree -------------------------------------------------------------------

UNIT = {"pmd": PER_PMD, "pte": PER_PTE, "leaf": PER_LEAF}


def tree_entries(dump):
    """{level: {kind: entries}} from the P2MT lines."""
    out = {lv: {"private": 0, "missing": 0, "identity": 0} for lv in UNIT}
    for level, first, end, kind in dump.tree:
        out[level][kind] += (end - first) // UNIT[level]
    return out


def formula(dump):
    """docs/p2m.md's page counts, from the entry runs (the final layout:
    a GiB that held RAM at boot and became wholly 1:1 has given its pages
    back).  For a dump taken at boot: a balloon that emptied a chunk later
    leaves its leaf behind."""
    runs = [(a, b, k) for a, b, k, _ in dump.runs if k != "missing"]
    leaves = ptes = pmds = mids = 0
    for pmd in range(0, dump.limit, PER_PMD):
        in_pmd = [r for r in runs if r[0] < pmd + PER_PMD and r[1] > pmd]
        pmd_private = False
        for g in range(pmd, pmd + PER_PMD, PER_PTE) if in_pmd else ():
            in_gib = [r for r in in_pmd if r[0] < g + PER_PTE and r[1] > g]
            if any(k == "identity" and a <= g and b >= g + PER_PTE
                                  for a, b, k in in_gib):
                pmd_private = True      # an entry to the shared identity PTE page
                continue
            gib_pte = gib_leaf = False
            for c in range(g, g + PER_PTE, PER_LEAF) if in_gib else ():
                in_chunk = [r for r in in_gib if r[0] < c + PER_LEAF and r[1] > c]
                if not in_chunk:
                    continue
                gib_pte = True
                if not any(k == "identity" and a <= c and b >= c + PER_LEAF
                           for a, b, k in in_chunk):
                    leaves += 1         # RAM, foreign, or partly 1:1
                    gib_leaf = True
            ptes += gib_pte
            mids += gib_leaf and g < 512 * PER_PTE
            pmd_private |= gib_pte
        pmds += pmd_private
    l3 = -(-dump.limit // (PER_PMD * 512))
    # The frame list exists without SIF_VIRT_P2M_4TOOLS (dom0): the dump's
    # fl count says whether it does, the formula what it must then hold.
    fl = 2 + mids if dump.pages.get("fl", 0) else 0
    return {"leaves": leaves, "pte": ptes, "pmd": pmds, "l3": l3, "shared": 5, "fl": fl,
            "total": leaves + ptes + pmds + l3 + 5 + fl}


def tree(data, dump_index, name, title, out, source):
    dump = data.dumps[dump_index]
    entries = tree_entries(dump)
    predicted = formula(dump)
    fig, ax = plt.subplots(figsize=(12, 5.2))
    ax.set_xlim(0, 12)
    ax.set_ylim(-0.6, 4.4)
    ax.axis("off")
    rows = [("pmd", 3, "PMD pages (an entry: 512 GiB of pfns)"),
            ("pte", 2, "PTE pages (an entry: 1 GiB)"),
            ("leaf", 1, "leaves (an entry: 2 MiB = 512 p2m entries)")]

    def box(x, y, text, color, w=2.3):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.28), w, 0.56, boxstyle="round,pad=0.05",
                                    facecolor=color, edgecolor="#333333", lw=0.8))
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
    box(2.2, 4.0, "L4 slot -> %d L3 page%s" % (dump.pages.get("l3", 0),
                                               "s" if dump.pages.get("l3", 0) != 1 else ""),
        "#c8e6c9")
    parent = (2.2, 4.0)
    for level, y, label in rows:
        ax.text(11.9, y + 0.42, label, ha="right", fontsize=8, style="italic")
        e = entries[level]
        slots = [("private", "%d private %s page%s\n(one per entry)" %
                  (e["private"], level, "" if e["private"] == 1 else "s"), 2.2),
                 ("missing", "shared missing %s\n(1 page, read-only)" % level, 5.4),
                 ("identity", "shared identity %s\n(1 page, read-only)" % level, 8.6)]
        for kind, text, x in slots:
            if level == "pmd" and kind == "identity":
                continue                # there is no identity PMD page
            if not e[kind] and kind == "private":
                continue
            box(x, y, text, PAGE_COLOR[kind] if e[kind] else "#ffffff")
            if e[kind]:
                ax.add_patch(FancyArrowPatch((parent[0], parent[1] - 0.32), (x, y + 0.32),
                                             arrowstyle="-|>", mutation_scale=10, lw=0.8,
                                             color="#333333"))
                ax.text((parent[0] + x) / 2 + 0.1, (parent[1] + y) / 2,
                        "%d entr%s" % (e[kind], "y" if e[kind] == 1 else "ies"), fontsize=7,
                        color="#c62828")
        parent = (2.2, y)
    p = dump.pages
    lines = ["pages (4 KiB)        dump  formula",
             "leaves           %8d %8d" % (p.get("leaves", 0), predicted["leaves"]),
             "PTE pages        %8d %8d" % (p.get("pte", 0), predicted["pte"]),
             "PMD pages        %8d %8d" % (p.get("pmd", 0), predicted["pmd"]),
             "L3 pages         %8d %8d" % (p.get("l3", 0), predicted["l3"]),
             "shared           %8d %8d" % (p.get("shared", 0), predicted["shared"]),
             "frame list       %8d %8d" % (p.get("fl", 0), predicted["fl"]),
             "total            %8d %8d" % (p.get("total", 0), predicted["total"])]
    ax.text(0.1, -0.5, "\n".join(lines), family="monospace", fontsize=7.5, va="bottom")
    ax.text(5.0, -0.5, "formula (docs/p2m.md): a leaf per 2 MiB chunk holding RAM or only\n"
            "partly 1:1; a PTE page per GiB with such a chunk or with whole-2 MiB\n"
            "1:1 chunks; a PMD page per 512 GiB touched; L3 pages for the reserve;\n"
            "5 shared pages; a dom0 adds the frame list (top, missing mid, a mid\n"
            "per GiB with leaves).  A wholly 1:1 GiB: one entry, no page.\n"
            "Private leaves hold the entries; a shared page holds only ~0, read-only.", fontsize=7.5, va="bottom")
    ax.set_title("%s: the p2m's page tables (max_pfn %s, limit %s)" %
                 (title, hexs(dump.max_pfn), hexs(dump.limit)), fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.02)
    write(out, name, fig, {
        "picture": "tree", "data": source, "dump": dump_index,
        "entries": entries, "pages": dump.pages, "formula": predicted,
    })


# ---- the balloon ----------------------------------------------------------------

def balloon(data, name, title, out, source):
    steps, current = [], None
    for kind, f in data.trace:
        if kind == "TARGET":
            current = {"t0": f["t_us"], "target_kb": f["target_kb"], "batches": [],
                       "settled": None}
            steps.append(current)
        elif kind == "BATCH" and current:
            current["batches"].append(f)
        elif kind == "SETTLED" and current and current["settled"] is None:
            current["settled"] = f
    steps = [s for s in steps if s["batches"]]
    fig, axes = plt.subplots(1, len(steps), figsize=(12, 3.8), sharey=True, squeeze=False)
    before_kb = None
    for kind, f in data.trace:
        if kind == "SETTLED":
            before_kb = f["current_kb"]
            break
    numbers = []
    for ax, s in zip(axes[0], steps):
        t = [0.0] + [(b["t_us"] - s["t0"]) / 1000 for b in s["batches"]]
        start_kb = before_kb
        cur = [start_kb] + [b["current_kb"] for b in s["batches"]]
        end_t = (s["settled"]["t_us"] - s["t0"]) / 1000 if s["settled"] else t[-1]
        ax.step([0, end_t * 1.05 + 1], [s["target_kb"] / 1024] * 2, where="post", color="#c62828",
                lw=1.5, label="target (xl mem-set)")
        ax.plot(t, [c / 1024 for c in cur], "-", color="#1565c0", lw=1.2,
                label="current (Xen's count)")
        ax.plot(t[1:], [c / 1024 for c in cur[1:]], "o", color="#1565c0", ms=3,
                label="one hypercall batch")
        for x, b in zip(t[1:], s["batches"]):
            ax.axvline(x, color="#90caf9", lw=0.5, zorder=0)
        calls = s["batches"][-1]["calls"] - (s["batches"][0]["calls"] - 1)
        pages = sum(abs(b["pages"]) for b in s["batches"])
        ax.set_title("to %d MiB: %d batches, %d hypercalls,\n%d pages in %.0f ms" %
                     (s["target_kb"] // 1024, len(s["batches"]), calls, pages, end_t),
                     fontsize=8)
        ax.set_xlabel("ms after the new target", fontsize=8)
        ax.tick_params(labelsize=7)
        numbers.append({"target_kb": s["target_kb"], "start_kb": start_kb,
                        "batches": len(s["batches"]), "pages": pages,
                        "end_kb": cur[-1],
                        "settled_kb": s["settled"]["current_kb"] if s["settled"] else None})
        before_kb = cur[-1]
    axes[0][0].set_ylabel("MiB", fontsize=8)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.80, bottom=0.14, wspace=0.08)
    write(out, name, fig, {"picture": "balloon", "data": source, "steps": numbers})


# ---- save / restore -------------------------------------------------------------

def restore(before_path, after_path, name, title, out, sources):
    runs = {"before": tools_runs(before_path), "after": tools_runs(after_path)}

    def mfn_map(rs):
        return {p: (None if m is None else m + p - a) for a, b, m in rs for p in range(a, b)}
    mb, ma = mfn_map(runs["before"]), mfn_map(runs["after"])
    valid_b = {p for p, m in mb.items() if m is not None}
    valid_a = {p for p, m in ma.items() if m is not None}
    same = sum(1 for p in valid_b & valid_a if mb[p] == ma[p])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 5.2), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    for key, color, m in (("before", "#1565c0", mb), ("after", "#ef6c00", ma)):
        pfns = sorted(p for p in m if m[p] is not None)
        top.plot(pfns, [m[p] for p in pfns], ".", ms=1.2, color=color,
                 label="%s: %d pfns with a frame, in %d runs of consecutive mfns" %
                 ("before xl save" if key == "before" else "after xl restore",
                  len(pfns), len(runs[key])))
    top.set_ylabel("mfn", fontsize=8)
    top.legend(fontsize=7, markerscale=8, loc="upper left")
    top.tick_params(labelsize=7)
    top.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: hexs(int(v))))
    end = max(r[-1][1] for r in runs.values())
    for row, key in ((1.2, "before"), (0.1, "after")):
        for kind in ("ram", "missing"):
            spans = [(a, b - a) for a, b, m in runs[key] if (m is None) == (kind == "missing")]
            bottom.broken_barh(spans, (row, 0.9), facecolors=KIND_COLOR[kind])
    bottom.set_yticks([1.65, 0.55], ["before", "after"], fontsize=8)
    bottom.set_ylim(0, 2.2)
    bottom.set_xlim(0, end)
    ticks = [end * i // 8 for i in range(9)]
    bottom.set_xticks(ticks, [hexs(t) for t in ticks], fontsize=7)
    bottom.set_xlabel("pfn (xen-mfndump dump-p2m; green: has a frame, grey: missing)", fontsize=8)
    top.set_title("%s: the same pfns after the restore (%s), %d of %d kept their mfn" %
                  (title, "yes" if valid_b == valid_a else "NO", same, len(valid_b)),
                  fontsize=9)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.1, hspace=0.1)
    write(out, name, fig, {
        "picture": "restore", "data": sources,
        "pfns_with_frame_before": len(valid_b), "pfns_with_frame_after": len(valid_a),
        "same_pfns": valid_b == valid_a, "same_mfn": same,
        "runs_before": len(runs["before"]), "runs_after": len(runs["after"])})


# ---- main -----------------------------------------------------------------------

DOM0_SHAPES = [
    ("dom0-64m", "dom0, 64 MiB in a 1 GiB machine"),
    ("dom0-4g-pci-hole", "dom0, 3500 MiB in a 4 GiB machine (RAM runs into the PCI hole)"),
    ("dom0-6g-above-4g", "dom0, 4608 MiB in a 6 GiB machine (RAM above 4 GiB)"),
]


def settled_at(data, kb):
    """The last dump printed when the balloon settled at kb."""
    found = None
    for i, d in enumerate(data.dumps):
        if d.settled and d.settled.get("current_kb") == kb:
            found = i
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: render.py DATA_DIR OUT_DIR")
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    done = 0
    for shape, title in DOM0_SHAPES:
        path = os.path.join(src, shape + ".txt")
        if not os.path.exists(path):
            print("render: no %s (collect.sh did not get it)" % path, file=sys.stderr)
            continue
        data = Data(path)
        if not data.dumps:
            sys.exit("render: %s has no P2MR dump" % path)
        strip(data, 0, "strip-" + shape, title, out, shape + ".txt")
        tree(data, 0, "tree-" + shape, title, out, shape + ".txt")
        done += 2
    path = os.path.join(src, "domu.txt")
    if os.path.exists(path):
        data = Data(path)
        title = "domU, 32 MiB (xl create, memory=32 maxmem=64)"
        strip(data, 0, "strip-domu", title, out, "domu.txt")
        tree(data, 0, "tree-domu", title, out, "domu.txt")
        low = settled_at(data, 20480)
        if low is not None:
            strip(data, low, "strip-domu-ballooned", "domU after xl mem-set 20m (ballooned out)",
                  out, "domu.txt")
            done += 1
        balloon(data, "balloon-domu", "domU: xl mem-set 20m, 40m, 32m (minnow's balloon_trace)",
                out, "domu.txt")
        restore(os.path.join(src, "domu-mfn-before.txt"), os.path.join(src, "domu-mfn-after.txt"),
                "restore-domu", "domU p2m as the tools read it",
                out, ["domu-mfn-before.txt", "domu-mfn-after.txt"])
        done += 4
    else:
        print("render: no %s (collect.sh did not get it)" % path, file=sys.stderr)
    if not done:
        sys.exit("render: nothing to draw in %s" % src)


if __name__ == "__main__":
    main()
