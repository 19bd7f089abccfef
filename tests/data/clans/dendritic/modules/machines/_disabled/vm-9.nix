{ flake.clan.machines.vm-9 = { }; }
