"""helptext - read brace's --help texts, for the manual pages and the shell
completion built from them (scripts/mkman, scripts/mkcompletion).

A help text is "usage: ..." lines, then paragraphs, headings (a line of its
own ending with ':') and indented blocks; a block is a definition list
(option or command, then its description in a column of its own) or text
shown as it is.
"""
import re
import subprocess


class MissingSection(Exception):
    """Something a page or the completion is built from is not there."""


def split_term(line):
    """'  --json     one JSON object' -> ('--json', 'one JSON object', desc column)."""
    m = re.match(r"(\s*)(\S(?:.*?\S)?)(\s{2,})(\S.*)$", line)
    if m is None:
        return line.strip(), "", None
    return m.group(2), m.group(4), len(m.group(1)) + len(m.group(2)) + len(m.group(3))


def indent(line):
    return len(line) - len(line.lstrip(" "))


def block_entries(lines):
    """An indented block as [(term, [description lines])], or None when it is
    not a definition list (then it is shown as it is)."""
    cols = [c for _, _, c in (split_term(l) for l in lines) if c is not None]
    desc_col = max(set(cols), key=cols.count) if cols else None
    if desc_col is None:
        deeper = [indent(l) for l in lines[1:] if indent(l) > indent(lines[0])]
        desc_col = max(deeper) if deeper else None
    if desc_col is None:
        return None
    entries = []
    for l in lines:
        ind = indent(l)
        if ind >= desc_col and entries:
            entries[-1][1].append(l.strip())
        elif entries and ind > indent(lines[0]) and not l.strip().startswith("-") and \
                not entries[-1][1]:
            entries[-1][0] += " " + l.strip()       # a term on two lines
        else:
            t, d, _ = split_term(l)
            entries.append([t, [d] if d else []])
    described = sum(1 for _, d in entries if d)
    if described * 2 < len(entries):
        return None
    return entries


def parse_help(text):
    """The help text as (synopsis lines, [(kind, heading, payload)])."""
    lines = text.rstrip("\n").split("\n")
    if not lines or not lines[0].startswith("usage: "):
        raise MissingSection("the help text does not start with 'usage: '")
    synopsis = [lines[0][len("usage: "):]]
    i = 1
    while i < len(lines) and lines[i].startswith(" "):
        synopsis.append(lines[i][len("usage: "):] if lines[i].startswith(" " * 7)
                        else lines[i].strip())
        i += 1
    parts = []
    heading = None
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if lines[i].startswith(" "):
            block = []
            while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
                block.append(lines[i])
                i += 1
            parts.append(("block", heading, block))
            heading = None
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith(" "):
            para.append(lines[i])
            i += 1
            if para[-1].endswith(":") and len(para) == 1 and \
                    (i >= len(lines) or lines[i].startswith(" ") or not lines[i].strip()):
                break
        # A heading is a line of its own ending with ':', or a paragraph
        # ending with ':' that an indented block follows.
        if para[-1].endswith(":") and (len(para) == 1 or (
                i < len(lines) and lines[i].startswith(" ") and lines[i].strip())):
            heading = " ".join(para)[:-1]
            continue
        parts.append(("para", None, para))
    return synopsis, parts


def run_help(brace, *args):
    r = subprocess.run([brace] + list(args) + ["--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=60)
    return r.stdout if r.returncode == 0 else None


def commands(main_help):
    """[(name, summary)] from the Commands: table of `brace --help`."""
    block = main_help.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    out = []
    for l in block.split("\n"):
        m = re.match(r"\s+(\S+)\s{2,}(.*)$", l)
        if m:
            out.append((m.group(1), m.group(2)))
    return out



def long_options(text):
    """Every long option the help text names, in order, once each."""
    seen = []
    for m in re.finditer(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def option_terms(text):
    """{option: (takes_argument, [values])} for every option a definition list
    names in its terms ("-l, --listen ADDR:PORT", "-m, --mode http|tcp",
    "--watch [INTERVAL]"); "-l," before "--listen" shares its entry."""
    _, parts = parse_help(text)
    spec = {}
    for kind, _, payload in parts:
        if kind != "block":
            continue
        for t, _ in block_entries(payload) or []:
            raw = t.split()
            aliases = []
            for i, tok in enumerate(raw):
                w = tok.strip(",[]")
                if not re.fullmatch(r"--?[a-zA-Z][\w-]*", w):
                    continue
                nxt = raw[i + 1] if i + 1 < len(raw) else ""
                if tok.endswith(",") and nxt.startswith("-"):
                    aliases.append(w)       # "-l, --listen ...": the same option
                    continue
                arg = nxt != "" and not nxt.startswith(("-", "[", "..."))
                values = nxt.split("|") if arg and re.fullmatch(r"[a-z0-9-]+(\|[a-z0-9-]+)+",
                                                                 nxt) else []
                for name in aliases + [w]:
                    if name not in spec or arg:
                        spec[name] = (arg, values)
                aliases = []
    return spec


def refused_values(brace, argv):
    """The choices a usage error lists when argv's last option gets a bad value:
    "unknown format 'x' (use auto, combined, ...)" or "use auto, always or never,
    not 'x'"; [] when the message lists none."""
    try:
        r = subprocess.run([brace] + argv + ["\x01"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                           timeout=30)
    except subprocess.TimeoutExpired:
        return []
    first = (r.stderr.split("\n") or [""])[0]
    m = re.search(r"\((?:use )?([^()]*)\)\s*$", first) or re.search(r"use (.*?), not '", first)
    if m is None or r.returncode == 0:
        return []
    values = []
    for item in re.split(r",\s*|\s+or\s+", m.group(1)):
        item = re.sub(r":[A-Z]+$", ":", item.strip())    # hash-header:NAME -> hash-header:
        if re.fullmatch(r"[a-z0-9][a-z0-9:-]*", item):
            values.append(item)
    return values
