"""Regenerate the broken-input corpus: ``python tests/bad/make_corpus.py``.

Each case is written with a marker ``@@`` where the tool must point; the marker is removed
and its line:column (1-based, in characters, after a BOM) goes to ``expected.json`` with
the diagnostic code and exit code. The expectations come from where the problem is in the
text, not from running the tool.
"""

from __future__ import annotations

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
M = "@@"

S, T = "json-syntax", "wrong-type"
CASES: list[tuple[str, str | bytes, str | None, int]] = [
    # -- syntax errors at many positions (exit 2) -----------------------------------------
    ("syntax-missing-comma.json", '{"machines": {"a": {}} @@"instances": {}}', S, 2),
    ("syntax-trailing-comma-object.json", '{"machines": {},\n  @@}', S, 2),
    ("syntax-trailing-comma-list.json", '{"machines": {"a": {"tags": ["x", @@]}}}', S, 2),
    ("syntax-single-quotes.json", "{@@'machines': {}}", S, 2),
    ("syntax-unquoted-key.json", "{\n  @@machines: {}\n}", S, 2),
    ("syntax-comment.json", '{\n  "machines": {}, @@// machines\n  "tags": {}\n}', S, 2),
    ("syntax-missing-colon.json", '{"machines" @@{}}', S, 2),
    ("syntax-unterminated-string.json", '{"machines": {@@"jon', S, 2),
    ("syntax-extra-data.json", "{}\n@@{}\n", S, 2),
    ("syntax-garbage-after.json", '{"machines": {}} @@x', S, 2),
    ("syntax-control-char-in-string.json", '{"machines": {"a@@\tb": {}}}', S, 2),
    ("syntax-bad-escape.json", '{"machines": {"a@@\\q": {}}}', S, 2),
    ("syntax-leading-zero.json", '{"machines": {"a": {"installedAt": 0@@1}}}', S, 2),
    ("syntax-plus-number.json", '{"machines": {"a": {"installedAt": @@+1}}}', S, 2),
    ("syntax-bare-word.json", '{"machines": {"a": {"deploy": {"forwardAgent": @@yes}}}}', S, 2),
    ("syntax-deep-line.json", '{\n  "machines": {\n    "a": {\n      "tags": ["x" @@"y"]\n    }\n  }\n}\n', S, 2),
    ("syntax-after-unicode.json", '{"machines": {"日本語": {}, "é": {} @@"x": {}}}', S, 2),
    ("syntax-crlf-lines.json", '{\r\n  "machines": {},\r\n  @@]\r\n}\r\n', S, 2),
    ("syntax-missing-close.json", '{"machines": {"a": {}}, "tags": {"t": ["a"]@@', S, 2),
    ("syntax-list-missing-comma.json", '{"tags": {"t": ["a"\n  @@"b"]}}', S, 2),
    ("syntax-colon-in-list.json", '{"tags": {"t": ["a"@@: "b"]}}', S, 2),
    ("syntax-nan.json", '{"machines": {"a": {"installedAt": @@NaN}}}', S, 2),
    ("syntax-infinity.json", '{"instances": {"i": {"roles": {"r": {"settings": {"x": @@Infinity}}}}}}', S, 2),
    ("syntax-minus-infinity.json", '{"machines": {"a": {"installedAt": @@-Infinity}}}', S, 2),
    ("syntax-lone-surrogate.json", '{"machines": {@@"a\\ud800": {}}}', S, 2),
    ("syntax-lone-low-surrogate-value.json", '{"machines": {"a": {"description": @@"\\udc00x"}}}', S, 2),
    # -- truncated files ------------------------------------------------------------------
    ("truncated-after-brace.json", "@@{", S, 2),  # placeholder, fixed below
    ("truncated-after-key.json", '{"machines"@@', S, 2),
    ("truncated-after-colon.json", '{"machines": @@', S, 2),
    ("truncated-in-literal.json", '{"machines": {"a": {"deploy": {"forwardAgent": @@tru', S, 2),
    ("truncated-in-number.json", '{"machines": {"a": {"installedAt": 17@@', S, 2),
    ("truncated-multiline.json", '{\n  "machines": {\n    "jon": {\n      "tags": [\n        "web",\n@@', S, 2),
    # -- empty, top-level not an object (exit 2) --------------------------------------------
    ("empty.json", "@@", S, 2),
    ("whitespace-only.json", "@@  \n\n\t\n", S, 2),
    ("top-level-list.json", '@@[{"machines": {}}]', "not-an-inventory", 2),
    ("top-level-null.json", "\n  @@null\n", "not-an-inventory", 2),
    ("top-level-string.json", '@@"inventory"', "not-an-inventory", 2),
    ("top-level-number.json", "@@42", "not-an-inventory", 2),
    ("top-level-true.json", "@@true", "not-an-inventory", 2),
    # -- duplicate keys at several depths (exit 2) ------------------------------------------
    ("dup-top-level.json", '{"machines": {}, @@"machines": {"a": {}}}', "duplicate-key", 2),
    ("dup-machine.json", '{"machines": {\n  "jon": {},\n  @@"jon": {"tags": ["x"]}\n}}', "duplicate-key", 2),
    ("dup-role-machine.json", '{"instances": {"i": {"roles": {"r": {"machines": {"a": {}, @@"a": {}}}}}}}', "duplicate-key", 2),
    ("dup-deep-settings.json", '{"instances": {"i": {"roles": {"r": {"settings": {"x": {"y": {"z": 1, @@"z": 2}}}}}}}}', "duplicate-key", 2),
    ("dup-in-list-element.json", '{"machines": {"a": {"tags": ["x"]}}, "x": [{"k": 1, @@"k": 2}]}', "duplicate-key", 2),
    ("dup-escaped-spelling.json", '{"machines": {"a": {}, @@"\\u0061": {}}}', "duplicate-key", 2),
    ("dup-then-syntax-error.json", '{"machines": {"a": {}, "a": {}},\n  "tags": @@}', S, 2),
    ("nan-then-syntax-error.json", '{"machines": {"a": {"installedAt": NaN}}\n@@"tags": {}}', S, 2),
    # -- encodings and binary (exit 2) -----------------------------------------------------
    ("latin1.json", b'{"machines": {"caf@@\xe9": {}}}', "encoding", 2),
    ("latin1-line3.json", b'{\n  "machines": {\n    "@@\xfcber": {}\n  }\n}\n', "encoding", 2),
    ("utf16-le-bom.json", b"@@" + "\ufeff{}".encode("utf-16-le"), "encoding", 2),
    ("utf16-be-bom.json", b"@@" + "\ufeff{}".encode("utf-16-be"), "encoding", 2),
    ("utf16-le-no-bom.json", b"{@@" + '"machines": {}}'.encode("utf-16-le")[1:], S, 2),
    ("binary-png.json", b"@@\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "encoding", 2),
    ("binary-nul.json", b"@@\x00\x00\x00\x00", S, 2),
    ("overlong-utf8.json", b'{"a@@\xc0\xaf": 1}', "encoding", 2),
    ("truncated-utf8.json", b'{"machines": {"@@\xe6\x97', "encoding", 2),
    # -- the BOM is accepted ----------------------------------------------------------------
    ("bom-ok.json", "\ufeff{}", None, 0),
    ("bom-wrong-type.json", '\ufeff{"machines": {"a": {"tags": @@"web"}}}', T, 1),
    ("bom-syntax.json", '\ufeff{"machines": {@@]}', S, 2),
    # -- deep nesting (exit 2) ------------------------------------------------------------------
    ("deep-nesting.json", "@@" + '{"a": ' * 5000 + "{}" + "}" * 5000, "too-deep", 2),
    ("deep-list-nesting.json", '@@{"machines": ' + "[" * 3000 + "]" * 3000 + "}", "too-deep", 2),
    # -- wrong types, current shape (exit 1) ---------------------------------------------------
    ("type-machines-list.json", '{"machines": @@["jon"]}', T, 1),
    ("type-machine-string.json", '{"machines": {"jon": @@"nixos"}}', T, 1),
    ("type-machine-tags-string.json", '{"machines": {"jon": {"tags": @@"web"}}}', T, 1),
    ("type-machine-tag-number.json", '{"machines": {"jon": {"tags": ["web", @@7]}}}', T, 1),
    ("type-machine-class.json", '{"machines": {"jon": {"machineClass": @@"windows"}}}', T, 1),
    ("type-target-host.json", '{"machines": {"jon": {"deploy": {"targetHost": @@42}}}}', T, 1),
    ("type-installed-at.json", '{"machines": {"jon": {"installedAt": @@"yesterday"}}}', T, 1),
    ("type-installed-at-float.json", '{"machines": {"jon": {"installedAt": @@1.5}}}', T, 1),
    ("type-forward-agent.json", '{"machines": {"jon": {"deploy": {"forwardAgent": @@"true"}}}}', T, 1),
    ("type-meta-name-pattern.json", '{"meta": {"name": @@"kenjis clan"}}', T, 1),
    ("type-meta-list.json", '{"meta": @@[]}', T, 1),
    ("type-tags-list.json", '{"tags": @@["web"]}', T, 1),
    ("type-tags-entry-string.json", '{"machines": {"a": {}}, "tags": {"web": @@"a"}}', T, 1),
    ("type-instances-list.json", '{"instances": @@[]}', T, 1),
    ("type-instance-number.json", '{"instances": {"sshd": @@1}}', T, 1),
    ("type-module-string.json", '{"instances": {"sshd": {"module": @@"sshd"}}}', T, 1),
    ("type-module-name-number.json", '{"instances": {"sshd": {"module": {"name": @@5}}}}', T, 1),
    ("type-roles-list.json", '{"instances": {"sshd": {"roles": @@["server"]}}}', T, 1),
    ("type-role-string.json", '{"instances": {"sshd": {"roles": {"server": @@"jon"}}}}', T, 1),
    ("type-role-machines-number.json", '{"instances": {"sshd": {"roles": {"server": {"machines": @@3}}}}}', T, 1),
    ("type-role-tags-number.json", '{"instances": {"sshd": {"roles": {"server": {"tags": @@3}}}}}', T, 1),
    ("type-role-settings-list.json", '{"instances": {"sshd": {"roles": {"server": {"settings": @@[1]}}}}}', T, 1),
    ("type-machine-role-settings.json", '{"machines": {"jon": {}}, "instances": {"sshd": {"roles": {"server": {"machines": {"jon": {"settings": @@"x"}}}}}}}', T, 1),
    ("type-tag-role-string.json", '{"instances": {"sshd": {"roles": {"server": {"tags": {"all": @@"x"}}}}}}', T, 1),
    ("type-extra-modules.json", '{"instances": {"sshd": {"roles": {"server": {"extraModules": @@"./x.nix"}}}}}', T, 1),
    # -- wrong types, legacy shape (exit 1) -----------------------------------------------------
    ("legacy-services-list.json", '{"services": @@[]}', T, 1),
    ("legacy-module-list.json", '{"services": {"borgbackup": @@[]}}', T, 1),
    ("legacy-enabled-string.json", '{"services": {"borgbackup": {"i": {"enabled": @@"yes"}}}}', T, 1),
    ("legacy-role-machines-attrs.json", '{"services": {"borgbackup": {"i": {"roles": {"client": {"machines": @@{"a": {}}}}}}}}', T, 1),
    ("legacy-role-tags-string.json", '{"services": {"borgbackup": {"i": {"roles": {"client": {"tags": @@"backup"}}}}}}', T, 1),
    ("legacy-config-list.json", '{"services": {"borgbackup": {"i": {"config": @@[]}}}}', T, 1),
    ("legacy-meta-string.json", '{"services": {"borgbackup": {"i": {"meta": @@"x"}}}}', T, 1),
    # -- unknown keys, lists of machines, removed options (exit 1) ------------------------------
    ("unknown-top-level.json", '{"machines": {}, @@"machine": {}}', "unknown-key", 1),
    ("unknown-machine-key.json", '{"machines": {"jon": {@@"tag": ["x"]}}}', "unknown-key", 1),
    ("unknown-role-key.json", '{"instances": {"sshd": {"roles": {"server": {@@"machine": {}}}}}}', "unknown-key", 1),
    ("unknown-instance-key.json", '{"instances": {"sshd": {@@"machines": {}}}}', "unknown-key", 1),
    ("unknown-legacy-key.json", '{"services": {"borgbackup": {"i": {@@"role": {}}}}}', "unknown-key", 1),
    ("role-machines-list.json", '{"machines": {"jon": {}}, "instances": {"sshd": {"roles": {"server": {"machines": @@["jon"]}}}}}', "role-machines-list", 1),
    ("removed-services.json", '{"machines": {"a": {}},\n @@"services": {}}', "removed-option", 1),
    ("removed-system.json", '{"machines": {"a": {@@"system": "x86_64-linux"}}}', "removed-option", 1),
]


def position(before: str) -> tuple[int, int]:
    before = before.removeprefix("\ufeff")
    line = before.count("\n") + 1
    col = len(before.rsplit("\n", 1)[-1]) + 1
    return line, col


def main() -> None:
    expected: dict[str, dict[str, object]] = {}
    for name, body, code, exit_code in CASES:
        if isinstance(body, str):
            if name == "truncated-after-brace.json":
                body = "{@@"
            if M in body:
                i = body.index(M)
                line, col = position(body[:i])
                body = body[:i] + body[i + 2 :]
            else:
                line = col = None
            data = body.encode("utf-8")
        else:
            i = body.index(M.encode())
            before = body[:i].decode("utf-8", "replace")
            line, col = position(before)
            data = body[:i] + body[i + 2 :]
        with open(os.path.join(HERE, name), "wb") as fh:
            fh.write(data)
        entry: dict[str, object] = {"code": code, "exit": exit_code}
        if line is not None and code is not None:
            entry["line"], entry["column"] = line, col
        expected[name] = entry
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(expected, fh, indent=2, sort_keys=True)
        fh.write("\n")
    print(f"{len(expected)} cases")


if __name__ == "__main__":
    main()
