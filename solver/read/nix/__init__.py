"""The clan in Nix, read statically, one module per step:

``parse`` (a ``.nix`` file into a tree with positions) → ``eval`` (a small lazy evaluator
of the data subset of Nix; values keep their source span and degrade to :class:`Opaque`)
→ ``modules`` (find the clan in the flake and follow its module graph) → ``merge``
(module-system merging of every definition, with locations) → ``clan`` (assemble the
inventory of a clan directory: Nix, ``inventory.json``, ``machines/``).
"""
