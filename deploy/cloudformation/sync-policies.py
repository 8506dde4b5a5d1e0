#!/usr/bin/env python3
"""Copies the docs/iam-*.json policies into firedrill-scheduled.yaml, where the stack
installs them verbatim (tests/it/deploy.rs checks that they are equal). The drill
policy is split, in order, into three managed policies that each fit IAM's 6,144
characters (whitespace not counted)."""
import json, pathlib, re

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy/cloudformation/firedrill-scheduled.yaml"
QUOTA = 6144
PARTS = ["DrillPolicy", "DrillPolicyRdsKmsIam", "DrillPolicyRunAndTeardown"]
INLINE = {"RestoreRole": "iam-restore-role.json", "CleanupTaskRole": "iam-cleanup.json"}


def size(document):
    return len(json.dumps(document, separators=(",", ":")))


def split(policy):
    parts, current = [], []
    for statement in policy["Statement"]:
        trial = {"Version": policy["Version"], "Statement": current + [statement]}
        if current and size(trial) > QUOTA - 64:
            parts.append(current)
            current = []
        current.append(statement)
    parts.append(current)
    assert len(parts) <= len(PARTS), f"the drill policy needs {len(parts)} managed policies"
    while len(parts) < len(PARTS):
        parts.append([])
    return [{"Version": policy["Version"], "Statement": p} for p in parts]


def replace(lines, resource, document):
    """Replaces the first PolicyDocument block after `  resource:`."""
    start = lines.index(f"  {resource}:")
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "PolicyDocument:")
    indent = len(lines[at]) - len(lines[at].lstrip()) + 2
    end = at + 1
    assert lines[end].strip() == "{", f"{resource}: the PolicyDocument is not JSON"
    while lines[end] != " " * indent + "}":
        end += 1
    text = json.dumps(document, indent=2).splitlines()
    lines[at + 1 : end + 1] = [" " * indent + line for line in text]


def main():
    lines = TEMPLATE.read_text().split("\n")
    drill = json.loads((ROOT / "docs/iam-policy.json").read_text())
    for name, part in zip(PARTS, split(drill)):
        replace(lines, name, part)
    for resource, file in INLINE.items():
        replace(lines, resource, json.loads((ROOT / "docs" / file).read_text()))
    TEMPLATE.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
