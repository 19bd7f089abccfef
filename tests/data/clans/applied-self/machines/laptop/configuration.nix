{ networking.hostName = "laptop"; }
