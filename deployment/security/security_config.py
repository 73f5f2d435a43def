#!/usr/bin/env python3
"""Runbook 003 `python3 deployment/security/security_config.py
--generate-key admin`: runs `qte-engine keys generate admin` (a new key,
printed once; only its salted SHA-256 is stored; an existing key of the
same name is replaced, which is the runbook's key rotation).
Also: --list (keys list), --revoke NAME (keys revoke NAME)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "scripts"))
from qte_cli import exec_cli  # noqa: E402

args = sys.argv[1:]
if len(args) == 2 and args[0] == "--generate-key":
    exec_cli(["keys", "generate", args[1]])
elif len(args) == 2 and args[0] == "--revoke":
    exec_cli(["keys", "revoke", args[1]])
elif args == ["--list"]:
    exec_cli(["keys", "list"])
sys.exit("usage: security_config.py --generate-key NAME | --revoke NAME | --list")
