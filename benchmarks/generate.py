"""Seeded generator of realistic synthetic clan inventories (current shape).

    python benchmarks/generate.py N -o inventory.json [--instances M] [--seed S]

The fleet looks like a real one, scaled up:

* N machines, 1-3 tags each, from a pool of ``max(4, N // 25)`` tags, so one tag covers
  about 50 machines whatever N is (bounded fan-out); about 3% of the machines are darwin.
* M instances (default ``max(8, N // 10)``) of real clan-core modules from
  ``solver/catalogue/builtin.json`` (borgbackup, sshd, zerotier, wireguard, users,
  monitoring, hello-world, packages, ...), with roles by tag and by name.
* A bounded number of broad instances (sshd, users: ``nixos``; packages: ``all``) use
  the computed broad tags.
* Settings at role, machine and tag level.
* A sprinkling of mistakes: unknown machine / tag / role / module, a constraint
  violation (two zerotier controllers), an incompatible-roles case (a wireguard machine
  that is both controller and peer), a settings conflict (role and machine level), a class
  mismatch (a darwin machine named in a
  nixos-only module), more of them at larger N (``1 + N // 20000`` of each).

The output only depends on (N, M, seed).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any

WORDS = (
    "web db cache edge build ci mail dns vpn lab office home gpu store backup "
    "media git mon log proxy k8s ingest search auth"
).split()

BROAD_ALL = 3  # instances that use the broad tags `all`/`nixos`, whatever N is


def _machine_names(n: int) -> list[str]:
    width = max(3, len(str(n)))
    return [f"{WORDS[i % len(WORDS)]}-{i:0{width}d}" for i in range(n)]


def generate(n: int, instances: int | None = None, seed: int = 0) -> dict[str, Any]:
    """An inventory with `n` machines and `instances` instances (default max(8, n // 10))."""
    rng = random.Random(seed)
    m_count = instances if instances is not None else max(8, n // 10)
    names = _machine_names(n)
    n_tags = max(4, n // 25)
    tag_pool = [f"{WORDS[k % len(WORDS)]}-t{k}" for k in range(n_tags)]

    machines: dict[str, Any] = {}
    darwin: list[str] = []
    tagged: dict[str, list[str]] = {t: [] for t in tag_pool}
    # darwin machines carry tags of their own, used only by modules that support darwin,
    # so a tag never drags a darwin machine into a nixos-only module by accident
    mac_pool = [f"mac-t{k}" for k in range(max(1, n_tags // 30))]
    for name in names:
        if rng.random() < 0.03:
            tags = rng.sample(mac_pool, 1)
            entry: dict[str, Any] = {"tags": tags, "machineClass": "darwin"}
            darwin.append(name)
            tagged.setdefault(tags[0], []).append(name)
            machines[name] = entry
            continue
        tags = rng.sample(tag_pool, rng.randint(1, min(3, n_tags)))
        entry = {"tags": sorted(tags)}
        if rng.random() < 0.2:
            entry["deploy"] = {"targetHost": f"root@{name}.example.org"}
        machines[name] = entry
        for t in tags:
            tagged[t].append(name)
    used_tags = [t for t in tag_pool if tagged[t]]
    mac_tags = [t for t in mac_pool if tagged.get(t)]
    nixos = [m for m in names if m not in set(darwin)] or names

    def some_tags(k: int = 2) -> list[str]:
        return sorted(rng.sample(used_tags, rng.randint(1, min(k, len(used_tags)))))

    def one(pool: list[str]) -> str:
        return pool[rng.randrange(len(pool))]

    inst: dict[str, Any] = {}
    # -- broad instances: a bounded number use `all` -----------------------------------
    broad: list[tuple[str, dict[str, Any]]] = [
        (
            "sshd-fleet",
            {
                "module": {"name": "sshd", "input": "clan-core"},
                "roles": {
                    "server": {
                        "tags": ["nixos"],
                        "settings": {"certificate": {"searchDomains": ["example.org"]}},
                    },
                    "client": {"tags": ["nixos"]},
                },
            },
        ),
        (
            "root-user",
            {
                "module": {"name": "users"},
                "roles": {
                    "default": {
                        "tags": {"nixos": {}},
                        "settings": {"user": "root", "prompt": False, "share": True},
                    }
                },
            },
        ),
        (
            "base-packages",
            {"module": {"name": "packages"}, "roles": {"default": {"tags": ["all"]}}},
        ),
    ]
    for name, body in broad[:BROAD_ALL]:
        if len(inst) < m_count:
            inst[name] = body

    kinds = ["borg", "zt", "wg", "user", "mon", "hello", "pkgs", "sshd"]
    k = 0
    while len(inst) < m_count:
        kind = kinds[k % len(kinds)]
        k += 1
        iname = f"{kind}-{k}"
        if kind == "borg":
            server = one(nixos)
            client_tags = some_tags()
            roles: dict[str, Any] = {
                "server": {
                    "machines": {server: {}},
                    "settings": {"directory": f"/srv/borg/{iname}"},
                },
                "client": {"tags": client_tags},
            }
            if rng.random() < 0.5:
                roles["client"]["settings"] = {"exclude": ["*.tmp", "/var/cache"]}
            body = {"module": {"name": "borgbackup"}, "roles": roles}
        elif kind == "zt":
            ctl = one(nixos)
            roles = {
                "controller": {"machines": {ctl: {}}, "settings": {"public": False}},
                "peer": {"tags": some_tags()},
            }
            if rng.random() < 0.3:
                moon = one(nixos)
                roles["moon"] = {
                    "machines": {moon: {"settings": {"stableEndpoints": [f"{moon}.example.org"]}}}
                }
            body = {"module": {"name": "zerotier"}, "roles": roles}
        elif kind == "wg":
            ctl = one(nixos)
            roles = {
                "controller": {
                    "machines": {ctl: {"settings": {"endpoint": f"{ctl}.example.org"}}},
                    "settings": {"port": 51820},
                },
                # peers by tags the controller does not carry (no accidental conflict)
                "peer": {
                    "tags": [t for t in some_tags() if t not in machines[ctl]["tags"]]
                    or [t for t in used_tags if t not in machines[ctl]["tags"]][:1],
                    "settings": {"port": 51820},
                },
            }
            body = {"module": {"name": "wireguard"}, "roles": roles}
        elif kind == "user":
            t = some_tags(1)[0]
            roles = {
                "default": {
                    # tag-level settings (tags as an attribute set)
                    "tags": {t: {"settings": {"groups": ["wheel"]}}},
                    "settings": {"user": f"user{k}", "groups": ["users"]},
                }
            }
            body = {"module": {"name": "users"}, "roles": roles}
        elif kind == "mon":
            server = one(nixos)
            body = {
                "module": {"name": "monitoring"},
                "roles": {
                    "server": {"machines": {server: {}}},
                    "client": {"tags": some_tags() + mac_tags[:1]},
                },
            }
        elif kind == "hello":
            ev = one(nixos)
            body = {
                "module": {"name": "hello-world"},
                "roles": {
                    "morning": {
                        "tags": some_tags(1),
                        "settings": {"greeting": "Good morning"},
                    },
                    # a machine-level setting (the role sets none: same priority would clash)
                    "evening": {"machines": {ev: {"settings": {"greeting": "Bonsoir"}}}},
                },
            }
        elif kind == "pkgs":
            ptags = some_tags() + ([one(mac_tags)] if mac_tags and rng.random() < 0.3 else [])
            body = {"module": {"name": "packages"}, "roles": {"default": {"tags": ptags}}}
        else:  # sshd for a group
            body = {
                "module": {"name": "sshd"},
                "roles": {
                    "server": {"tags": some_tags(1)},
                    "client": {"tags": some_tags(1)},
                },
            }
        inst[iname] = body

    _mistakes(rng, n, inst, machines, nixos, darwin, used_tags)
    return {
        "meta": {"name": f"bench-{n}"},
        "machines": machines,
        "instances": inst,
    }


def _mistakes(
    rng: random.Random,
    n: int,
    inst: dict[str, Any],
    machines: dict[str, Any],
    nixos: list[str],
    darwin: list[str],
    tags: list[str],
) -> None:
    """A sprinkling of every kind of mistake, `1 + n // 20000` of each."""
    reps = 1 + n // 20000
    for r in range(reps):
        a, b = rng.sample(nixos, 2) if len(nixos) >= 2 else (nixos[0], nixos[0])
        # unknown machine (a typo) next to a real one
        inst[f"typo-machine-{r}"] = {
            "module": {"name": "borgbackup"},
            "roles": {"server": {"machines": {a: {}}}, "client": {"machines": {a + "x": {}}}},
        }
        # unknown tag
        inst[f"typo-tag-{r}"] = {
            "module": {"name": "packages"},
            "roles": {"default": {"tags": [tags[r % len(tags)] + "-typo"]}},
        }
        # unknown role
        inst[f"typo-role-{r}"] = {
            "module": {"name": "monitoring"},
            "roles": {"server": {"machines": {a: {}}}, "clients": {"machines": {b: {}}}},
        }
        # unknown module
        inst[f"typo-module-{r}"] = {
            "module": {"name": "borgbackupp"},
            "roles": {"client": {"machines": {a: {}}}},
        }
        # constraint violation: zerotier allows one controller
        inst[f"zt-two-controllers-{r}"] = {
            "module": {"name": "zerotier"},
            "roles": {"controller": {"machines": {a: {}, b: {}}}, "peer": {"machines": {b: {}}}},
        }
        # incompatible roles: b is a wireguard controller and, through its tag, a peer
        btag = machines[b]["tags"][0]
        inst[f"wg-conflict-{r}"] = {
            "module": {"name": "wireguard"},
            "roles": {
                "controller": {"machines": {b: {"settings": {"endpoint": "vpn.example.org"}}}},
                "peer": {"tags": [btag]},
            },
        }
        # settings conflict: role- and machine-level values for one option
        inst[f"hello-clash-{r}"] = {
            "module": {"name": "hello-world"},
            "roles": {
                "evening": {
                    "machines": {a: {"settings": {"greeting": "Bonsoir"}}},
                    "settings": {"greeting": "Good evening"},
                }
            },
        }
        # class mismatch: a darwin machine named in a nixos-only module
        if darwin:
            d = darwin[r % len(darwin)]
            inst[f"borg-darwin-{r}"] = {
                "module": {"name": "borgbackup"},
                "roles": {"server": {"machines": {a: {}}}, "client": {"machines": {d: {}}}},
            }


SIZES = {
    "precommit": (30, 40),
    "100": (100, None),
    "1k": (1_000, None),
    "5k1k": (5_000, 1_000),
    "10k": (10_000, None),
    "100k": (100_000, None),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("machines", type=int)
    p.add_argument("-o", "--output", default="-")
    p.add_argument("--instances", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    data = generate(a.machines, a.instances, a.seed)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if a.output == "-":
        sys.stdout.write(text)
    else:
        with open(a.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
