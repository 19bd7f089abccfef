"""Pictures of the fleet (``inventory-solver graph``): Graphviz ``dot``, ``mermaid`` and a
self-contained ``html`` page.

``dot`` and ``mermaid`` draw instances and machines as nodes and each role membership as
an edge labelled with the role. ``--by tag`` groups machines by their first own tag (the
implicit ``all``/``nixos``/``darwin`` left aside; machines without one are "untagged"), so
that each machine is drawn once; ``--by service`` groups instances by their module.
Machines (and instances) with findings are drawn red, with the count.

``html`` is one page with no network access (no external scripts, styles or fonts): a
machines × instances matrix with the role in each cell, filters by tag, service and
machine class, the findings of each machine and instance, and the provenance of each role
(explicit, or through which tag) on hover and on click. The data is embedded as JSON; the
matrix is built once, and a filter change only toggles rows and one generated style rule
per hidden column.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from solver.report import Report

IMPLICIT_TAGS = frozenset({"all", "nixos", "darwin"})


@dataclass
class Fleet:
    """The report reduced to what the pictures show (sorted)."""

    machines: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    # (instance index, machine index, role, [reasons])
    cells: list[tuple[int, int, str, list[str]]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


def fleet(report: Report) -> Fleet:
    res = report.resolution
    out = Fleet()
    m_index = {name: i for i, name in enumerate(sorted(res.machines))}
    i_index = {name: i for i, name in enumerate(sorted(res.instances))}
    by_machine: dict[str, list[int]] = defaultdict(list)
    by_instance: dict[str, list[int]] = defaultdict(list)
    for k, d in enumerate(report.diagnostics):
        loc = d.location
        out.findings.append(
            {
                "severity": d.severity,
                "code": d.code,
                "message": d.message,
                "path": d.path,
                "where": f"{loc.file}:{loc.line}" if loc is not None else None,
            }
        )
        if d.machine is not None:
            by_machine[d.machine].append(k)
        if d.instance is not None:
            by_instance[d.instance].append(k)
    for name in sorted(res.machines):
        m = res.machines[name]
        out.machines.append(
            {
                "name": name,
                "class": m.machine_class,
                "tags": sorted(m.tags),
                "defined": m.defined,
                "findings": by_machine.get(name, []),
            }
        )
    for name in sorted(res.instances):
        inst = res.instances[name]
        out.instances.append(
            {
                "name": name,
                "module": inst.module.name
                + (f" from {inst.module.input}" if inst.module.input else ""),
                "enabled": inst.enabled,
                "findings": by_instance.get(name, []),
            }
        )
        for role in sorted(inst.roles):
            rr = inst.roles[role]
            for member in rr.members:
                if member not in m_index:
                    continue
                reasons = sorted({str(v) for v in rr.via.get(member, [])})
                out.cells.append((i_index[name], m_index[member], role, reasons))
    out.cells.sort()
    return out


def _group_of_machine(m: dict[str, Any]) -> str:
    own = [t for t in m["tags"] if t not in IMPLICIT_TAGS]
    return own[0] if own else "untagged"


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(report: Report, by: str = "tag") -> str:
    f = fleet(report)
    lines = [
        "digraph fleet {",
        "  rankdir=LR;",
        '  node [fontname="sans-serif"];',
        '  edge [fontname="sans-serif", fontsize=10];',
    ]

    def machine_node(i: int, m: dict[str, Any]) -> str:
        n = len(m["findings"])
        label = m["name"] + (f"\n{n} finding(s)" if n else "")
        style = ', color="#c00000", fontcolor="#c00000", penwidth=2' if n else ""
        return f"    m{i} [shape=box, label={_dot_str(label)}{style}];"

    def instance_node(i: int, inst: dict[str, Any]) -> str:
        n = len(inst["findings"])
        label = f"{inst['name']}\n({inst['module']})" + (f"\n{n} finding(s)" if n else "")
        style = ', color="#c00000", fontcolor="#c00000", penwidth=2' if n else ""
        return (
            f'    i{i} [shape=ellipse, style=filled, fillcolor="#eef3ff", '
            f"label={_dot_str(label)}{style}];"
        )

    if by == "tag":
        groups: dict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(f.machines):
            groups[_group_of_machine(m)].append(i)
        for k, g in enumerate(sorted(groups)):
            lines.append(f"  subgraph cluster_{k} {{")
            lines.append(f"    label={_dot_str('tag ' + g if g != 'untagged' else g)};")
            lines.extend(machine_node(i, f.machines[i]) for i in groups[g])
            lines.append("  }")
        lines.extend(instance_node(i, inst)[2:] for i, inst in enumerate(f.instances))
    else:
        mods: dict[str, list[int]] = defaultdict(list)
        for i, inst in enumerate(f.instances):
            mods[inst["module"]].append(i)
        for k, g in enumerate(sorted(mods)):
            lines.append(f"  subgraph cluster_{k} {{")
            lines.append(f"    label={_dot_str('service ' + g)};")
            lines.extend(instance_node(i, f.instances[i]) for i in mods[g])
            lines.append("  }")
        lines.extend(machine_node(i, m)[2:] for i, m in enumerate(f.machines))
    for ii, mi, role, reasons in f.cells:
        tip = f"{role}: {', '.join(reasons)}" if reasons else role
        lines.append(f"  i{ii} -> m{mi} [label={_dot_str(role)}, tooltip={_dot_str(tip)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_UNSAFE = re.compile(r'["<>#&;`|{}\[\]()]')


def _mm(text: str) -> str:
    """Text inside a mermaid label (quoted): characters mermaid would read are escaped as
    entity codes."""
    return _MERMAID_UNSAFE.sub(lambda m: f"#{ord(m.group(0))};", text)


def to_mermaid(report: Report, by: str = "tag") -> str:
    f = fleet(report)
    lines = ["flowchart LR"]

    def machine_node(i: int, m: dict[str, Any]) -> str:
        n = len(m["findings"])
        label = _mm(m["name"]) + (f"<br/>{n} finding(s)" if n else "")
        return f'    m{i}["{label}"]' + (":::finding" if n else "")

    def instance_node(i: int, inst: dict[str, Any]) -> str:
        n = len(inst["findings"])
        label = f"{_mm(inst['name'])}<br/>{_mm(inst['module'])}" + (
            f"<br/>{n} finding(s)" if n else ""
        )
        return f'    i{i}(["{label}"])' + (":::finding" if n else ":::instance")

    if by == "tag":
        groups: dict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(f.machines):
            groups[_group_of_machine(m)].append(i)
        for k, g in enumerate(sorted(groups)):
            title = "tag " + g if g != "untagged" else g
            lines.append(f'  subgraph g{k}["{_mm(title)}"]')
            lines.extend(machine_node(i, f.machines[i]) for i in groups[g])
            lines.append("  end")
        lines.extend(instance_node(i, inst)[2:] for i, inst in enumerate(f.instances))
    else:
        mods: dict[str, list[int]] = defaultdict(list)
        for i, inst in enumerate(f.instances):
            mods[inst["module"]].append(i)
        for k, g in enumerate(sorted(mods)):
            lines.append(f'  subgraph g{k}["{_mm("service " + g)}"]')
            lines.extend(instance_node(i, f.instances[i]) for i in mods[g])
            lines.append("  end")
        lines.extend(machine_node(i, m)[2:] for i, m in enumerate(f.machines))
    for ii, mi, role, _reasons in f.cells:
        lines.append(f'  i{ii} -->|"{_mm(role)}"| m{mi}')
    lines.append("  classDef finding fill:#ffe0e0,stroke:#c00000,stroke-width:2px")
    lines.append("  classDef instance fill:#eef3ff")
    return "\n".join(lines) + "\n"


def to_html(report: Report, title: str = "clan fleet") -> str:
    f = fleet(report)
    data = {
        "machines": f.machines,
        "instances": f.instances,
        "cells": [list(c) for c in f.cells],
        "findings": f.findings,
    }
    # inside <script>: "</" would end the element; "<!--" would start a comment
    payload = (
        json.dumps(data, sort_keys=True, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return _PAGE.replace("@@TITLE@@", html.escape(title)).replace("@@DATA@@", payload)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>@@TITLE@@</title>
<style id="base-style">
body { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1b1f24; }
header { padding: 8px 12px; background: #f3f5f8; border-bottom: 1px solid #d0d7de; display: flex; gap: 14px; flex-wrap: wrap; align-items: center; }
header h1 { font-size: 15px; margin: 0 8px 0 0; }
header label { display: flex; gap: 4px; align-items: center; }
#summary { color: #57606a; }
main { display: flex; height: calc(100vh - 46px); }
#wrap { overflow: auto; flex: 1; }
#side { width: 320px; border-left: 1px solid #d0d7de; padding: 8px 12px; overflow: auto; background: #fbfcfd; }
table { border-collapse: separate; border-spacing: 0; }
th, td { border-right: 1px solid #eaeef2; border-bottom: 1px solid #eaeef2; padding: 2px 6px; white-space: nowrap; }
thead th { position: sticky; top: 0; background: #fff; z-index: 2; vertical-align: bottom; }
thead th.inst { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; max-height: 180px; cursor: pointer; }
tbody th { position: sticky; left: 0; background: #fff; text-align: left; z-index: 1; cursor: pointer; font-weight: 500; }
thead th.corner { left: 0; z-index: 3; }
td.r { background: #e6efff; cursor: pointer; text-align: center; }
td.r.tag { background: #eaf6ea; }
.bad { color: #b00020; font-weight: 600; }
.badge { display: inline-block; min-width: 14px; padding: 0 4px; border-radius: 8px; background: #b00020; color: #fff; font-size: 11px; text-align: center; }
.muted { color: #57606a; }
.sev-error { color: #b00020; } .sev-warning { color: #9a6700; } .sev-info { color: #0969da; }
#side h2 { font-size: 14px; margin: 4px 0; }
#side ul { padding-left: 16px; margin: 4px 0; }
.legend span { padding: 0 6px; margin-right: 4px; }
</style>
<style id="filter-style"></style>
</head>
<body>
<header>
  <h1>@@TITLE@@</h1>
  <label>Tag <select id="f-tag"><option value="">all machines</option></select></label>
  <label>Service <select id="f-service"><option value="">all services</option></select></label>
  <label>Class <select id="f-class"><option value="">any</option><option value="nixos">nixos</option><option value="darwin">darwin</option></select></label>
  <label><input type="checkbox" id="f-findings"> only with findings</label>
  <span class="legend"><span style="background:#e6efff">explicit</span><span style="background:#eaf6ea">via tag</span></span>
  <span id="summary"></span>
</header>
<main>
  <div id="wrap"><table id="matrix"><thead></thead><tbody></tbody></table></div>
  <aside id="side"><h2>Details</h2><p class="muted">Click a machine, an instance or a cell.</p><div id="global"></div></aside>
</main>
<script type="application/json" id="fleet-data">@@DATA@@</script>
<script>
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("fleet-data").textContent);
  const M = data.machines, I = data.instances, F = data.findings;
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const cellAt = new Map();
  for (const [ii, mi, role, via] of data.cells) {
    const k = mi * I.length + ii;
    if (!cellAt.has(k)) cellAt.set(k, []);
    cellAt.get(k).push({role: role, via: via});
  }
  const viaText = (c) => c.role + ": " + (c.via.length ? c.via.join(", ") : "no reason recorded");
  const badge = (n) => n ? ' <span class="badge" title="' + n + ' finding(s)">' + n + "</span>" : "";

  // the matrix, built once
  let head = '<tr><th class="corner">machine \\\\ instance</th>';
  I.forEach((inst, j) => {
    head += '<th class="inst c' + j + (inst.findings.length ? " bad" : "") + '" data-i="' + j + '" title="' + esc(inst.module) + '">' +
      esc(inst.name) + badge(inst.findings.length) + "</th>";
  });
  head += "</tr>";
  document.querySelector("#matrix thead").innerHTML = head;
  const rows = [];
  M.forEach((m, i) => {
    let r = '<tr data-m="' + i + '"><th class="' + (m.findings.length ? "bad" : "") + '" title="' + esc(m.class + "; tags: " + m.tags.join(", ")) + '">' +
      esc(m.name) + badge(m.findings.length) + "</th>";
    for (let j = 0; j < I.length; j++) {
      const cs = cellAt.get(i * I.length + j);
      if (cs) {
        const tagOnly = cs.every((c) => c.via.length && c.via.every((v) => v.startsWith("tag ")));
        r += '<td class="r c' + j + (tagOnly ? " tag" : "") + '" data-i="' + j + '" title="' + esc(cs.map(viaText).join("\\n")) + '">' +
          esc(cs.map((c) => c.role).join(", ")) + "</td>";
      } else {
        r += '<td class="c' + j + '"></td>';
      }
    }
    rows.push(r + "</tr>");
  });
  const tbody = document.querySelector("#matrix tbody");
  tbody.innerHTML = rows.join("");
  const trs = Array.from(tbody.rows);

  // filters: rows toggled; columns hidden by one generated style rule each
  const tags = new Set(), services = new Set();
  M.forEach((m) => m.tags.forEach((t) => tags.add(t)));
  I.forEach((inst) => services.add(inst.module));
  const fill = (id, values) => {
    const sel = document.getElementById(id);
    Array.from(values).sort().forEach((v) => { const o = document.createElement("option"); o.value = v; o.textContent = v; sel.appendChild(o); });
  };
  fill("f-tag", tags);
  fill("f-service", services);
  const style = document.getElementById("filter-style");
  function apply() {
    const tag = document.getElementById("f-tag").value;
    const service = document.getElementById("f-service").value;
    const cls = document.getElementById("f-class").value;
    const onlyBad = document.getElementById("f-findings").checked;
    let shown = 0;
    M.forEach((m, i) => {
      const ok = (!tag || m.tags.includes(tag)) && (!cls || m.class === cls) && (!onlyBad || m.findings.length > 0);
      trs[i].hidden = !ok;
      if (ok) shown++;
    });
    const hide = [];
    let cols = 0;
    I.forEach((inst, j) => { if (service && inst.module !== service) hide.push(".c" + j); else cols++; });
    style.textContent = hide.length ? hide.join(",") + "{display:none}" : "";
    document.getElementById("summary").textContent = shown + " of " + M.length + " machines, " + cols + " of " + I.length + " instances, " + F.length + " finding(s)";
  }
  ["f-tag", "f-service", "f-class", "f-findings"].forEach((id) => document.getElementById(id).addEventListener("change", apply));
  apply();

  // details on click
  const side = document.getElementById("side");
  const list = (idx) => idx.length ? "<ul>" + idx.map((k) => { const f = F[k]; return '<li><span class="sev-' + esc(f.severity) + '">' + esc(f.severity) + " " + esc(f.code) + "</span>: " + esc(f.message) + (f.where ? ' <span class="muted">' + esc(f.where) + "</span>" : "") + "</li>"; }).join("") + "</ul>" : '<p class="muted">No findings.</p>';
  function showMachine(i) {
    const m = M[i];
    let h = "<h2>" + esc(m.name) + "</h2><p>" + esc(m.class) + "; tags: " + esc(m.tags.join(", ") || "none") + (m.defined ? "" : " (not defined)") + "</p><h2>Roles</h2><ul>";
    for (let j = 0; j < I.length; j++) { const cs = cellAt.get(i * I.length + j); if (cs) cs.forEach((c) => { h += "<li>" + esc(I[j].name) + " / " + esc(viaText(c)) + "</li>"; }); }
    side.innerHTML = h + "</ul><h2>Findings</h2>" + list(m.findings);
  }
  function showInstance(j) {
    const inst = I[j];
    let h = "<h2>" + esc(inst.name) + "</h2><p>module " + esc(inst.module) + (inst.enabled ? "" : " (disabled)") + "</p><h2>Members</h2><ul>";
    data.cells.forEach(([ii, mi, role, via]) => { if (ii === j) h += "<li>" + esc(M[mi].name) + " — " + esc(viaText({role: role, via: via})) + "</li>"; });
    side.innerHTML = h + "</ul><h2>Findings</h2>" + list(inst.findings);
  }
  tbody.addEventListener("click", (ev) => {
    const el = ev.target.closest("td, th");
    if (!el) return;
    const i = Number(el.parentElement.dataset.m);
    if (el.tagName === "TH") return showMachine(i);
    const j = Number(el.dataset.i);
    const cs = cellAt.get(i * I.length + j);
    if (!cs) return;
    side.innerHTML = "<h2>" + esc(M[i].name) + " in " + esc(I[j].name) + "</h2><ul>" + cs.map((c) => "<li>" + esc(viaText(c)) + "</li>").join("") + "</ul>";
  });
  document.querySelector("#matrix thead").addEventListener("click", (ev) => {
    const el = ev.target.closest("th.inst");
    if (el) showInstance(Number(el.dataset.i));
  });
  const attributed = new Set();
  M.forEach((m) => m.findings.forEach((k) => attributed.add(k)));
  I.forEach((x) => x.findings.forEach((k) => attributed.add(k)));
  const global = F.map((f, k) => k).filter((k) => !attributed.has(k));
  if (global.length) document.getElementById("global").innerHTML = "<h2>Other findings</h2>" + list(global);
})();
</script>
</body>
</html>
"""
