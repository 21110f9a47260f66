"""Reading minnow's machine-readable console lines (for render.py).

The formats are minnow's, each documented where it is printed:
  E820 maps        mm/e820.c e820_print():      "  [0x...-0x...) NAME (type N), K KiB"
  E820 plan        mm/e820_plan.c e820_plan_print(): "  identity pfn 0xS-0xE (N pages)",
                                                  "  move     pfn 0xS-0xE -> 0xD-0xF (N pages)"
  p2m runs, tree   mm/p2m_check.c p2m_dump_runs(): P2MR / P2MT lines
  balloon trace    drivers/balloon/worker.c:        BALLOON-* and BALLOONED lines
  tools' p2m       tests/toolstack/checks/pictures.sh: "<first>-<last> <mfn>|missing"
A data file (build/pictures/data/NAME.txt) holds those lines as minnow
printed them; lines starting with '#' say where they came from.
"""
import re

PER_LEAF = 512                  # pfns per p2m leaf (2 MiB of pfns)
PER_PTE = PER_LEAF * 512        # per PTE page (1 GiB)
PER_PMD = PER_PTE * 512         # per PMD page (512 GiB)

E820_LINE = re.compile(r"^  \[0x([0-9a-f]+)-0x([0-9a-f]+)\) (\S+) \(type (\d+)\)")
PLAN_RANGE = re.compile(r"^  (identity|release|kept|growth)\s+pfn 0x([0-9a-f]+)-0x([0-9a-f]+)")
PLAN_HEAD = re.compile(r"^E820 plan: populated pfn 0x([0-9a-f]+)-0x([0-9a-f]+),")
PLAN_MOVE = re.compile(r"^  move\s+pfn 0x([0-9a-f]+)-0x([0-9a-f]+) -> 0x([0-9a-f]+)-0x([0-9a-f]+)")
P2MR = re.compile(r"^P2MR ([0-9a-f]+)-([0-9a-f]+) (ram|foreign|identity|missing)(?: ([0-9a-f]+))?$")
P2MT = re.compile(r"^P2MT (pmd|pte|leaf) ([0-9a-f]+)-([0-9a-f]+) (private|missing|identity)$")
P2MT_PAGES = re.compile(r"^P2MT pages (.*)$")
P2MR_END = re.compile(r"^P2MR END max_pfn=([0-9a-f]+) limit=([0-9a-f]+)$")
BALLOONED = re.compile(r"^BALLOONED ([0-9a-f]+)-([0-9a-f]+)$")
TRACE = re.compile(r"^BALLOON-(TARGET|BATCH|SETTLED) (.*)$")
TOOLS_RUN = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (missing|[0-9a-f]+)$")


def fields(text):
    """'a=1 b=x' -> {'a': 1, 'b': 'x'} (decimal numbers become ints)."""
    out = {}
    for word in text.split():
        key, _, value = word.partition("=")
        out[key] = int(value) if value.isdigit() else value
    return out


class Dump:
    """One p2m_dump_runs() listing (and the BALLOONED lines just before it)."""

    def __init__(self):
        self.runs = []          # (first, end, kind, mfn or None), end exclusive
        self.tree = []          # (level, first, end, kind)
        self.pages = {}
        self.max_pfn = self.limit = None
        self.ballooned = []     # (first, end)
        self.settled = None     # the BALLOON-SETTLED fields before it, if any


class Data:
    def __init__(self, path):
        self.path = path
        self.comments = []
        self.e820_raw, self.e820 = [], []
        self.plan = {"identity": [], "release": [], "kept": [], "growth": [], "move": []}
        self.populated = None   # pfns Xen populated at boot: [0, populated)
        self.dumps = []
        self.trace = []         # (kind, fields)
        maps = [self.e820_raw, self.e820]
        current_map, dump, ballooned, settled = None, None, [], None
        with open(path) as f:
            for line in f:
                line = line.rstrip("\r\n")
                if line.startswith("#"):
                    self.comments.append(line[1:].strip())
                    continue
                if line.startswith("E820 (raw"):
                    current_map = maps[0]
                    continue
                if line.startswith("E820 (sanitized"):
                    current_map = maps[1]
                    continue
                m = E820_LINE.match(line)
                if m and current_map is not None:
                    current_map.append((int(m[1], 16), int(m[2], 16), m[3], int(m[4])))
                    continue
                m = PLAN_HEAD.match(line)
                if m:
                    self.populated = int(m[2], 16)
                    continue
                m = PLAN_RANGE.match(line)
                if m:
                    self.plan[m[1]].append((int(m[2], 16), int(m[3], 16)))
                    continue
                m = PLAN_MOVE.match(line)
                if m:
                    self.plan["move"].append((int(m[1], 16), int(m[2], 16),
                                              int(m[3], 16), int(m[4], 16)))
                    continue
                m = TRACE.match(line)
                if m:
                    self.trace.append((m[1], fields(m[2])))
                    if m[1] == "SETTLED":
                        settled, ballooned = fields(m[2]), []
                    continue
                m = BALLOONED.match(line)
                if m:
                    ballooned.append((int(m[1], 16), int(m[2], 16) + 1))
                    continue
                m = P2MR.match(line) or P2MT.match(line) or P2MT_PAGES.match(line) \
                    or P2MR_END.match(line)
                if not m:
                    continue
                if dump is None:
                    dump = Dump()
                    dump.ballooned, dump.settled = ballooned, settled
                    ballooned, settled = [], None
                if m.re is P2MR:
                    dump.runs.append((int(m[1], 16), int(m[2], 16) + 1, m[3],
                                      int(m[4], 16) if m[4] else None))
                elif m.re is P2MT:
                    dump.tree.append((m[1], int(m[2], 16), int(m[3], 16) + 1, m[4]))
                elif m.re is P2MT_PAGES:
                    dump.pages = fields(m[1])
                else:
                    dump.max_pfn, dump.limit = int(m[1], 16), int(m[2], 16)
                    self.dumps.append(dump)
                    dump = None


def tools_runs(path):
    """The tools' p2m in runs: [(first, end, mfn or None)]."""
    out = []
    with open(path) as f:
        for line in f:
            m = TOOLS_RUN.match(line.strip())
            if m:
                out.append((int(m[1], 16), int(m[2], 16) + 1,
                            None if m[3] == "missing" else int(m[3], 16)))
    return out
