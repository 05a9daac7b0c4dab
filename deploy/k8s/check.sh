#!/usr/bin/env bash
# Validates the Kubernetes manifests offline: renders the kustomization
# (kubectl's built-in kustomize, or a small stand-in for the features used
# here when kubectl is missing), checks every resource against the Kubernetes
# API schema (PyPI kubernetes-validate, strict), and checks that every secret
# file the manifests read is one that ../make-secrets.sh makes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=${KUBERNETES_VERSION:-1.30.0}
rendered=$(mktemp --suffix=.yaml)
trap 'rm -f "$rendered"' EXIT

if [ -z "${HAMAFZA_NO_KUBECTL:-}" ] && command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize "$here" > "$rendered"
else
  python3 - "$here" > "$rendered" <<'PY'
# Namespace, common labels and image overrides: all this kustomization uses.
import sys, pathlib, yaml
base = pathlib.Path(sys.argv[1])
k = yaml.safe_load((base / "kustomization.yaml").read_text())
images = {i["name"]: f'{i.get("newName", i["name"])}:{i["newTag"]}' for i in k.get("images", [])}
labels = {}
for entry in k.get("labels", []):
    labels.update(entry["pairs"])
def fix(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and value in images:
                node[key] = images[value]
            else:
                fix(value)
    elif isinstance(node, list):
        for item in node:
            fix(item)
docs = []
for resource in k["resources"]:
    for doc in yaml.safe_load_all((base / resource).read_text()):
        if not doc:
            continue
        doc["metadata"]["namespace"] = k["namespace"]
        doc["metadata"].setdefault("labels", {}).update(labels)
        fix(doc)
        docs.append(doc)
print(yaml.safe_dump_all(docs, sort_keys=False))
PY
fi

kinds=$(grep -c '^kind:' "$rendered")
python3 -m kubernetes_validate --strict --quiet -k "$version" "$rendered"
echo "k8s: $kinds resources valid against Kubernetes $version"

# Every /run/secrets/NAME the manifests read must be a file make-secrets.sh makes.
secrets=$(mktemp -d)
SECRETS_DIR=$secrets sh "$here/../make-secrets.sh" >/dev/null
made=$(ls "$secrets")
rm -rf "$secrets"
for name in $(grep -o '/run/secrets/[a-z_.]*' "$rendered" | sort -u | sed 's|/run/secrets/||'); do
  grep -qx "$name" <<<"$made" || { echo "k8s: /run/secrets/$name is not made by make-secrets.sh" >&2; exit 1; }
done
echo "k8s: every secret file read is made by make-secrets.sh"
