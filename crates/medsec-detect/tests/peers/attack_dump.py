"""Lists what MITRE's own library (mitreattack-python, stix2 underneath)
reads from one ATT&CK STIX bundle: every technique, tactic, group and
piece of software, one JSON object per line, for
crates/medsec-detect/tests/it/attack_peer.rs to compare with
medsec_detect::attack::Matrix.

Usage: attack_dump.py BUNDLE   (.json, or .json.gz)
"""

import gzip
import json
import os
import sys
import tempfile

from mitreattack.stix20 import MitreAttackData
from stix2 import Filter


def attack_id(data, obj):
    """The object's ATT&CK id. The library's get_attack_id reads only a
    first reference named `mitre-attack`; older objects (deprecated ICS
    techniques) name `mitre-ics-attack`, so the first `mitre-*` reference
    that has an id is used when it finds none."""
    found = data.get_attack_id(obj["id"])
    if found:
        return found
    for ref in obj.get("external_references", []):
        if ref.get("source_name", "").startswith("mitre-") and ref.get("external_id"):
            return ref["external_id"]
    return None


def flags(obj):
    return bool(obj.get("x_mitre_deprecated", False)), bool(obj.get("revoked", False))


def revoked_by(data, revokers, obj):
    """The ATT&CK id of what revoked the object. get_revoking_object
    searches every relationship for each object (a second each on the
    enterprise bundle); `revokers` is stix2's one search for them all."""
    if not obj.get("revoked", False):
        return None
    target = revokers.get(obj["id"])
    if target is None:
        return None
    found = data.get_object_by_stix_id(target)
    return attack_id(data, found) if found is not None else None


def main(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            text = f.read()
        tmp = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
        tmp.write(text)
        tmp.close()
        path = tmp.name
    else:
        tmp = None
    try:
        data = MitreAttackData(stix_filepath=path)
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    # get_tactics_by_technique asks get_tactics() for every technique,
    # which searches the whole bundle each time: answer from one search.
    all_tactics = data.get_tactics(remove_revoked_deprecated=False)
    data.get_tactics = lambda remove_revoked_deprecated=False: all_tactics
    revokers = {
        r["source_ref"]: r["target_ref"]
        for r in data.src.query(
            [Filter("type", "=", "relationship"), Filter("relationship_type", "=", "revoked-by")]
        )
    }
    out = sys.stdout
    for t in data.get_techniques(include_subtechniques=True, remove_revoked_deprecated=False):
        tid = attack_id(data, t)
        if tid is None:
            continue
        deprecated, revoked = flags(t)
        tactics = sorted(
            MitreAttackData.get_field(x, "x_mitre_shortname") for x in data.get_tactics_by_technique(t["id"])
        )
        parents = data.get_parent_technique_of_subtechnique(t["id"])
        parent = attack_id(data, parents[0]["object"]) if parents else None
        record = {
            "kind": "technique",
            "id": tid,
            "name": t["name"],
            "domains": list(t.get("x_mitre_domains", [])),
            "tactics": tactics,
            "deprecated": deprecated,
            "revoked": revoked,
            "revoked_by": revoked_by(data, revokers, t),
            "parent": parent,
            "version": t.get("x_mitre_version"),
            "platforms": list(t.get("x_mitre_platforms", [])),
        }
        out.write(json.dumps(record, sort_keys=True) + "\n")
    for t in data.get_tactics(remove_revoked_deprecated=False):
        deprecated, revoked = flags(t)
        record = {
            "kind": "tactic",
            "id": attack_id(data, t),
            "name": t["name"],
            "shortname": MitreAttackData.get_field(t, "x_mitre_shortname"),
            "domains": list(t.get("x_mitre_domains", [])),
            "deprecated": deprecated,
            "revoked": revoked,
        }
        out.write(json.dumps(record, sort_keys=True) + "\n")
    entities = [("group", g) for g in data.get_groups(remove_revoked_deprecated=False)]
    entities += [("software", s) for s in data.get_software(remove_revoked_deprecated=False)]
    for kind, e in entities:
        eid = attack_id(data, e)
        if eid is None:
            continue
        deprecated, revoked = flags(e)
        record = {
            "kind": kind,
            "id": eid,
            "name": e["name"],
            "deprecated": deprecated,
            "revoked": revoked,
            "revoked_by": revoked_by(data, revokers, e),
        }
        out.write(json.dumps(record, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
