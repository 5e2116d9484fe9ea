#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/deploy/check_deploy.py: checks everything under deploy/ that can be checked without a
container engine or a Kubernetes cluster (ctest label "deploy").

usage: check_deploy.py --source REPO_ROOT --bin BUILD_BIN_DIR

- every YAML file under deploy/ parses (all documents);
- every Kubernetes object has apiVersion, kind and metadata.name; kustomizations name files that
  exist and (with kubectl on PATH) build;
- Deployment/StatefulSet/DaemonSet: liveness and readiness probes GET /healthz on port 9100,
  resource requests and a memory limit, read-only root filesystem, and the restricted settings
  everywhere except the agent's documented exception; the orchestrator is one replica with
  strategy Recreate; `-c` paths resolve to a key of the mounted ConfigMap; Services select pods;
- no Secret (no file at all) under deploy/ holds a private key; secrets/make-secrets turns
  tools/gen-certs output into the three Secrets without the CA key;
- the PowerConstraints CRD: a structural schema, the example object validates against its
  openAPIV3Schema (python3-jsonschema) with no field the API server would prune, and broken
  variants of it are refused;
- every daemon config (deploy/config/*.yaml, deploy/compose/config/*.yaml, every file in the
  ConfigMaps) passes the matching daemon's --check-config from the build tree, and each config
  set is consistent (parents list their children's ids, certificate file = identity);
- compose: services, mounted configs, certificate identities and subjectAltNames;
- the Dockerfile: pinned bases, apt hygiene, build packages within tools/quickstart's list,
  runtime packages covering the binaries' shared libraries, a non-root USER;
- systemd units: the required settings, and `systemd-analyze verify` in a scratch root.

Keys still being added can be listed in PENDING: a daemon refusing exactly those is then
re-checked without them and a PENDING line says so (WT_DEPLOY_STRICT=1: a failure). Empty now.
The last line is "deploy: N passed, M failed"; exit 1 if any check failed.
"""

import argparse
import base64
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import yaml

try:
    import jsonschema
except ImportError:  # python3-jsonschema is in tools/quickstart's package list
    jsonschema = None

METRICS_PORT = 9100
DAEMONS = ("cluster", "rack", "agent")
NS = "wattlease"
# Features that were being added in parallel when this test was written, as
# (error pattern, how to take the feature out of a config, name). Both have landed
# (metrics_listen, backend: nvml): the list is empty, so every config is checked as it is.
PENDING = []


class Checker:
    def __init__(self, src, bindir):
        self.src = src
        self.bindir = bindir
        self.deploy = os.path.join(src, "deploy")
        self.passed = 0
        self.failed = 0
        self.errors = []
        self.pending = []
        self.docs = {}  # relative path -> list of documents

    def rel(self, p):
        return os.path.relpath(p, self.src)

    def err(self, msg):
        self.errors.append(msg)

    def run(self, name, fn):
        self.errors = []
        try:
            fn()
        except Exception as e:  # a crash in a check is a failure of that check
            self.errors.append("%s: %s" % (type(e).__name__, e))
        if self.errors:
            self.failed += 1
            print("FAIL %s" % name)
            for e in self.errors:
                print("     %s" % e)
        else:
            self.passed += 1
            print("PASS %s" % name)

    # ---- YAML ----------------------------------------------------------------------------------

    def yaml_files(self):
        out = []
        for root, dirs, files in os.walk(self.deploy):
            dirs.sort()
            for f in sorted(files):
                if f.endswith((".yaml", ".yml")):
                    out.append(os.path.join(root, f))
        return out

    def check_yaml_parses(self):
        files = self.yaml_files()
        if len(files) < 20:
            self.err("only %d YAML files under deploy/ (expected the whole tree)" % len(files))
        for p in files:
            try:
                with open(p) as f:
                    docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                self.err("%s: %s" % (self.rel(p), e))
                continue
            if not docs:
                self.err("%s: no document" % self.rel(p))
            self.docs[self.rel(p)] = docs

    def k8s_docs(self):
        """(path, doc) for every Kubernetes object under deploy/k8s (kustomizations excluded)."""
        for path, docs in sorted(self.docs.items()):
            if not path.startswith("deploy/k8s/"):
                continue
            for d in docs:
                if isinstance(d, dict) and d.get("kind") == "Kustomization":
                    continue
                yield path, d

    def patch_files(self):
        out = set()
        for path, docs in self.docs.items():
            for d in docs:
                if isinstance(d, dict) and d.get("kind") == "Kustomization":
                    for p in d.get("patches", []) or []:
                        if isinstance(p, dict) and "path" in p:
                            out.add(os.path.normpath(os.path.join(os.path.dirname(path),
                                                                  p["path"])))
        return out

    def base_objects(self):
        patches = self.patch_files()
        return [(p, d) for p, d in self.k8s_docs() if p not in patches]

    # ---- Kubernetes objects --------------------------------------------------------------------

    def check_k8s_objects(self):
        n = 0
        for path, d in self.k8s_docs():
            n += 1
            if not isinstance(d, dict):
                self.err("%s: a document that is not a mapping" % path)
                continue
            for k in ("apiVersion", "kind"):
                if not isinstance(d.get(k), str) or not d.get(k):
                    self.err("%s: object without %s" % (path, k))
            md = d.get("metadata")
            if not isinstance(md, dict) or not md.get("name"):
                self.err("%s: %s without metadata.name" % (path, d.get("kind")))
                continue
            name = md["name"]
            if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", name):
                self.err("%s: %s name '%s' is not a DNS subdomain" % (path, d.get("kind"), name))
            cluster_scoped = d.get("kind") in ("Namespace", "PriorityClass",
                                               "CustomResourceDefinition")
            if not cluster_scoped and md.get("namespace") != NS:
                self.err("%s: %s/%s not in namespace %s" % (path, d.get("kind"), name, NS))
        if n < 10:
            self.err("only %d Kubernetes objects under deploy/k8s" % n)

    def check_kustomizations(self):
        found = 0
        for path, docs in sorted(self.docs.items()):
            for d in docs:
                if not (isinstance(d, dict) and d.get("kind") == "Kustomization"):
                    continue
                found += 1
                base = os.path.join(self.src, os.path.dirname(path))
                refs = list(d.get("resources", []) or [])
                refs += [p["path"] for p in d.get("patches", []) or [] if "path" in p]
                for r in refs:
                    if not os.path.exists(os.path.join(base, r)):
                        self.err("%s: names '%s', which does not exist" % (path, r))
                if shutil.which("kubectl"):
                    r = subprocess.run(["kubectl", "kustomize", base], capture_output=True,
                                       text=True, timeout=120)
                    if r.returncode != 0:
                        self.err("kubectl kustomize %s: %s" % (path, r.stderr.strip()[-800:]))
                    else:
                        list(yaml.safe_load_all(r.stdout))
        if found < 2:
            self.err("expected the base kustomization and the nvidia-runtime overlay")
        if not shutil.which("kubectl"):
            print("     (kubectl not on PATH: kustomizations checked for files only)")
        # Every object file of the base is in its kustomization (an object file left out would
        # silently not be applied).
        kpath = "deploy/k8s/base/kustomization.yaml"
        listed = set(self.docs.get(kpath, [{}])[0].get("resources", []))
        for path in self.docs:
            if os.path.dirname(path) == "deploy/k8s/base" and not path.endswith(
                    "kustomization.yaml"):
                if os.path.basename(path) not in listed:
                    self.err("%s is not listed in %s" % (path, kpath))

    def objects(self, kind):
        return [(p, d) for p, d in self.base_objects() if d.get("kind") == kind]

    def check_workloads(self):
        configmaps = {d["metadata"]["name"]: d for _, d in self.objects("ConfigMap")}
        secrets = {d["metadata"]["name"]
                   for p, docs in self.docs.items() for d in docs
                   if isinstance(d, dict) and d.get("kind") == "Secret"}
        services = self.objects("Service")
        kinds = {}
        for kind in ("Deployment", "StatefulSet", "DaemonSet"):
            for path, d in self.objects(kind):
                kinds[kind] = kinds.get(kind, 0) + 1
                self.check_workload(path, d, configmaps, secrets, services)
        for kind in ("Deployment", "StatefulSet", "DaemonSet"):
            if kinds.get(kind, 0) < 1:
                self.err("no %s under deploy/k8s" % kind)
        for path, d in self.objects("Deployment"):
            spec = d["spec"]
            if spec.get("replicas") != 1:
                self.err("%s: Deployment %s: replicas must be 1 (one orchestrator per site)"
                         % (path, d["metadata"]["name"]))
            if (spec.get("strategy") or {}).get("type") != "Recreate":
                self.err("%s: Deployment %s: strategy must be Recreate (never two orchestrators)"
                         % (path, d["metadata"]["name"]))
        for path, d in self.objects("StatefulSet"):
            svc = d["spec"].get("serviceName")
            heads = [s for _, s in services if s["metadata"]["name"] == svc]
            if not heads or heads[0]["spec"].get("clusterIP") != "None":
                self.err("%s: StatefulSet %s: serviceName '%s' is not a headless Service"
                         % (path, d["metadata"]["name"], svc))
        for path, d in self.objects("DaemonSet"):
            vols = d["spec"]["template"]["spec"].get("volumes", [])
            nvml = [v for v in vols if (v.get("hostPath") or {}).get("path", "").endswith(
                "/libnvidia-ml.so.1")]
            if not nvml:
                self.err("%s: DaemonSet %s does not mount libnvidia-ml.so.1 from the host"
                         % (path, d["metadata"]["name"]))
            for c in d["spec"]["template"]["spec"]["containers"]:
                for m in c.get("volumeMounts", []):
                    if nvml and m["name"] == nvml[0]["name"] and not m.get("readOnly"):
                        self.err("%s: the NVML library must be mounted read-only" % path)
        pods = [(d["spec"]["template"]["metadata"].get("labels", {}))
                for kind in ("Deployment", "StatefulSet", "DaemonSet")
                for _, d in self.objects(kind)]
        for path, s in services:
            sel = s["spec"].get("selector") or {}
            if not sel or not any(all(lbl.get(k) == v for k, v in sel.items()) for lbl in pods):
                self.err("%s: Service %s selects no pod template" % (path, s["metadata"]["name"]))

    def check_workload(self, path, d, configmaps, secrets, services):
        name = "%s %s" % (d["kind"], d["metadata"]["name"])
        tmpl = d["spec"]["template"]
        if d["spec"]["selector"]["matchLabels"].items() - tmpl["metadata"]["labels"].items():
            self.err("%s: %s: selector does not match the pod labels" % (path, name))
        pod = tmpl["spec"]
        is_agent = d["kind"] == "DaemonSet"
        psc = pod.get("securityContext") or {}
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            self.err("%s: %s: no RuntimeDefault seccomp profile" % (path, name))
        if pod.get("automountServiceAccountToken") is not False:
            self.err("%s: %s: mounts a service account token it does not need" % (path, name))
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        for v in vols.values():
            if "configMap" in v and v["configMap"]["name"] not in configmaps:
                self.err("%s: %s: ConfigMap %s is not defined" % (path, name,
                                                                  v["configMap"]["name"]))
            if "secret" in v and v["secret"]["secretName"] not in secrets:
                self.err("%s: %s: Secret %s is not in the template" % (path, name,
                                                                       v["secret"]["secretName"]))
        for c in pod["containers"]:
            cname = "%s container %s" % (name, c["name"])
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe"):
                pr = (c.get(probe) or {}).get("httpGet")
                if not pr:
                    self.err("%s: %s: no %s with httpGet" % (path, cname, probe))
                    continue
                port = pr.get("port")
                port = ports.get(port, port) if isinstance(port, str) else port
                if pr.get("path") != "/healthz" or port != METRICS_PORT:
                    self.err("%s: %s: %s is GET %s on port %s, not /healthz on %d"
                             % (path, cname, probe, pr.get("path"), pr.get("port"),
                                METRICS_PORT))
            res = c.get("resources") or {}
            if not (res.get("requests") or {}).get("cpu") or not (
                    res.get("requests") or {}).get("memory"):
                self.err("%s: %s: needs cpu and memory requests" % (path, cname))
            if not (res.get("limits") or {}).get("memory"):
                self.err("%s: %s: needs a memory limit" % (path, cname))
            sc = c.get("securityContext") or {}
            if sc.get("readOnlyRootFilesystem") is not True:
                self.err("%s: %s: root filesystem not read-only" % (path, cname))
            if not is_agent:
                if sc.get("allowPrivilegeEscalation") is not False:
                    self.err("%s: %s: allowPrivilegeEscalation must be false" % (path, cname))
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    self.err("%s: %s: must drop ALL capabilities" % (path, cname))
                if sc.get("privileged"):
                    self.err("%s: %s: privileged (only the agent may be)" % (path, cname))
                if not (psc.get("runAsNonRoot") or sc.get("runAsNonRoot")):
                    self.err("%s: %s: must run as non-root" % (path, cname))
            # -c PATH: resolve $(VAR) over the mounted ConfigMap's keys.
            args = list(c.get("command", [])) + list(c.get("args", []))
            if "-c" not in args:
                self.err("%s: %s: no -c CONFIG argument" % (path, cname))
                continue
            cfg = args[args.index("-c") + 1]
            if args[0] not in DAEMONS:
                self.err("%s: %s: first argument '%s' is not a daemon of the entrypoint"
                         % (path, cname, args[0]))
            mounts = [m for m in c.get("volumeMounts", [])
                      if cfg.startswith(m["mountPath"].rstrip("/") + "/")]
            if not mounts or "configMap" not in vols.get(mounts[0]["name"], {}):
                self.err("%s: %s: %s is not in a mounted ConfigMap" % (path, cname, cfg))
                continue
            cm = configmaps[vols[mounts[0]["name"]]["configMap"]["name"]]
            key_re = re.escape(cfg[len(mounts[0]["mountPath"].rstrip("/")) + 1:])
            key_re = re.sub(r"\\\$\\\([A-Z_]+\\\)", "[a-z0-9-]+", key_re)
            keys = [k for k in cm.get("data", {}) if re.fullmatch(key_re, k)]
            if not keys:
                self.err("%s: %s: no key of ConfigMap %s matches %s" % (path, cname,
                                                                         cm["metadata"]["name"],
                                                                         cfg))
            comp = cm["metadata"].get("labels", {}).get("app.kubernetes.io/component")
            if comp != args[0]:
                self.err("%s: %s runs '%s' with a config labelled for '%s'"
                         % (path, cname, args[0], comp))

    # ---- Secrets -------------------------------------------------------------------------------

    def check_no_private_keys(self):
        key_re = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|PRIVATE KEY-----")
        for root, dirs, files in os.walk(self.deploy):
            for f in files:
                p = os.path.join(root, f)
                if f.endswith((".key", ".p12", ".pfx")):
                    self.err("%s: a key file under deploy/" % self.rel(p))
                with open(p, "rb") as fh:
                    if key_re.search(fh.read().decode("utf-8", "replace")):
                        self.err("%s: contains a private key" % self.rel(p))
        n = 0
        for path, docs in self.docs.items():
            for d in docs:
                if not (isinstance(d, dict) and d.get("kind") == "Secret"):
                    continue
                n += 1
                for k, v in (d.get("data") or {}).items():
                    try:
                        raw = base64.b64decode(v).decode("utf-8", "replace")
                    except ValueError:
                        self.err("%s: Secret %s key %s is not base64" % (path,
                                                                        d["metadata"]["name"], k))
                        continue
                    if key_re.search(raw):
                        self.err("%s: Secret %s holds a private key in %s"
                                 % (path, d["metadata"]["name"], k))
                for k, v in (d.get("stringData") or {}).items():
                    if key_re.search(str(v)):
                        self.err("%s: Secret %s holds a private key in %s"
                                 % (path, d["metadata"]["name"], k))
        if n < 3:
            self.err("expected the three certificate Secrets in the template, found %d" % n)

    def check_make_secrets(self):
        if not shutil.which("openssl"):
            print("     (no openssl: skipped)")
            return
        script = os.path.join(self.deploy, "k8s/secrets/make-secrets")
        with tempfile.TemporaryDirectory() as tmp:
            pki = os.path.join(tmp, "pki")
            r = subprocess.run([os.path.join(self.src, "tools/gen-certs"), "--out", pki,
                                "site", "rack-0", "rack-1"], capture_output=True, text=True)
            if r.returncode != 0:
                self.err("tools/gen-certs: %s" % r.stderr.strip())
                return
            # An agent's files as gen-certs names them for identity rack-0/gpu-node-1.
            for ext in (".pem", ".key"):
                shutil.copy(os.path.join(pki, "rack-1" + ext),
                            os.path.join(pki, "rack-0_gpu-node-1" + ext))
            r = subprocess.run([script, pki], capture_output=True, text=True)
            if r.returncode != 0:
                self.err("make-secrets: exit %d: %s" % (r.returncode, r.stderr.strip()))
                return
            got = {d["metadata"]["name"]: d for d in yaml.safe_load_all(r.stdout) if d}
            want = {
                "wattlease-tls-cluster": {"ca.pem", "site.pem", "site.key"},
                "wattlease-tls-racks": {"ca.pem", "rack-0.pem", "rack-0.key", "rack-1.pem",
                                        "rack-1.key"},
                "wattlease-tls-agents": {"ca.pem", "rack-0_gpu-node-1.pem",
                                         "rack-0_gpu-node-1.key"},
            }
            for name, keys in want.items():
                if name not in got:
                    self.err("make-secrets: no Secret %s" % name)
                    continue
                data = got[name].get("data", {})
                if set(data) != keys:
                    self.err("make-secrets: %s has %s, expected %s" % (name, sorted(data),
                                                                      sorted(keys)))
                if got[name]["metadata"].get("namespace") != NS:
                    self.err("make-secrets: %s not in namespace %s" % (name, NS))
                with open(os.path.join(pki, "ca.pem"), "rb") as f:
                    if base64.b64decode(data.get("ca.pem", "")) != f.read():
                        self.err("make-secrets: %s: ca.pem differs from the file" % name)
            if "ca.key" in r.stdout or base64.b64encode(
                    open(os.path.join(pki, "ca.key"), "rb").read()).decode() in r.stdout:
                self.err("make-secrets: the CA key is in the output")

    # ---- CRD -----------------------------------------------------------------------------------

    def crd_and_example(self):
        crds = [d for _, d in self.k8s_docs() if d.get("kind") == "CustomResourceDefinition"]
        crd = [c for c in crds if c["spec"]["names"]["kind"] == "PowerConstraints"]
        if not crd:
            raise AssertionError("no CustomResourceDefinition of kind PowerConstraints")
        crd = crd[0]
        examples = [d for _, d in self.k8s_docs() if d.get("kind") == "PowerConstraints"]
        if not examples:
            raise AssertionError("no example PowerConstraints object")
        return crd, examples

    def structural(self, s, where):
        """The API server's structural-schema rules that matter here: every node has a type;
        objects declare their properties; arrays declare their items."""
        if s.get("x-kubernetes-preserve-unknown-fields") or s.get("x-kubernetes-int-or-string"):
            return
        t = s.get("type")
        if t not in ("object", "array", "string", "integer", "number", "boolean"):
            self.err("schema %s: no valid type" % where)
            return
        if t == "object":
            if "properties" not in s and "additionalProperties" not in s:
                self.err("schema %s: object without properties" % where)
            for k, sub in (s.get("properties") or {}).items():
                self.structural(sub, "%s.%s" % (where, k))
            for r in s.get("required", []):
                if r not in (s.get("properties") or {}):
                    self.err("schema %s: required '%s' is not a property" % (where, r))
        if t == "array":
            if "items" not in s:
                self.err("schema %s: array without items" % where)
            else:
                self.structural(s["items"], where + "[]")
        if "enum" in s and t in ("string", "integer"):
            py = str if t == "string" else int
            for e in s["enum"]:
                if not isinstance(e, py):
                    self.err("schema %s: enum value %r is not a %s" % (where, e, t))

    def pruned(self, schema, obj, where):
        """Fields the API server would drop from @obj (not declared in @schema)."""
        out = []
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return out
        if isinstance(obj, dict) and schema.get("type") == "object":
            props = schema.get("properties") or {}
            for k, v in obj.items():
                if k not in props:
                    out.append("%s.%s" % (where, k))
                else:
                    out += self.pruned(props[k], v, "%s.%s" % (where, k))
        elif isinstance(obj, list) and schema.get("type") == "array":
            for i, v in enumerate(obj):
                out += self.pruned(schema.get("items", {}), v, "%s[%d]" % (where, i))
        return out

    def schema_errors(self, schema, obj):
        errs = []
        if jsonschema is not None:
            v = jsonschema.Draft4Validator(schema)
            errs += ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
                     for e in v.iter_errors(obj)]
        else:
            errs.append("python3-jsonschema is not installed (tools/quickstart installs it)")

        # Formats jsonschema does not check without optional modules: uri, int64.
        def formats(s, o, where):
            if s.get("format") == "uri" and isinstance(o, str):
                u = urllib.parse.urlparse(o)
                if not u.scheme or not u.netloc:
                    errs.append("%s: '%s' is not an absolute URI" % (where, o))
            if s.get("format") == "int64" and isinstance(o, int):
                if not -2**63 <= o < 2**63:
                    errs.append("%s: %d does not fit int64" % (where, o))
            if isinstance(o, dict):
                for k, v in o.items():
                    if k in (s.get("properties") or {}):
                        formats(s["properties"][k], v, where + "." + k)
            if isinstance(o, list) and "items" in s:
                for i, v in enumerate(o):
                    formats(s["items"], v, "%s[%d]" % (where, i))

        formats(schema, obj, "")
        return errs

    def check_crd(self):
        crd, examples = self.crd_and_example()
        spec = crd["spec"]
        if crd["apiVersion"] != "apiextensions.k8s.io/v1":
            self.err("CRD apiVersion is %s" % crd["apiVersion"])
        if crd["metadata"]["name"] != "%s.%s" % (spec["names"]["plural"], spec["group"]):
            self.err("CRD name must be <plural>.<group>")
        storage = [v for v in spec["versions"] if v.get("storage")]
        if len(storage) != 1:
            self.err("exactly one version must be the storage version")
        versions = {v["name"]: v for v in spec["versions"]}
        for v in spec["versions"]:
            self.structural(v["schema"]["openAPIV3Schema"], v["name"])
        sch = versions[storage[0]["name"]]["schema"]["openAPIV3Schema"]
        s = sch["properties"]["spec"]["properties"]
        want = {"maxWatts": "integer", "monitoringEndpoint": "string",
                "responseLatencyMs": "integer", "reductionStrategies": "array"}
        for k, t in want.items():
            if (s.get(k) or {}).get("type") != t:
                self.err("spec.%s must be a %s" % (k, t))
        if (s.get("monitoringEndpoint") or {}).get("format") != "uri":
            self.err("spec.monitoringEndpoint must have format uri")
        item = (s.get("reductionStrategies") or {}).get("items", {}).get("properties", {})
        if set((item.get("trigger") or {}).get("enum", [])) != {
                "power_spike", "voltage_sag", "thermal_limit"}:
            self.err("reductionStrategies[].trigger enum is not power_spike/voltage_sag/"
                     "thermal_limit")
        if set((item.get("action") or {}).get("enum", [])) != {
                "reduce_power", "defer_launch", "migrate_workload"}:
            self.err("reductionStrategies[].action enum is not reduce_power/defer_launch/"
                     "migrate_workload")
        for ex in examples:
            group, _, version = ex["apiVersion"].partition("/")
            if group != spec["group"] or version not in versions:
                self.err("example %s: apiVersion %s is not served by the CRD"
                         % (ex["metadata"]["name"], ex["apiVersion"]))
                continue
            body = {k: v for k, v in ex.items() if k not in ("apiVersion", "kind", "metadata")}
            schema = versions[version]["schema"]["openAPIV3Schema"]
            for e in self.schema_errors(schema, body):
                self.err("example %s: %s" % (ex["metadata"]["name"], e))
            for p in self.pruned(schema, body, ""):
                self.err("example %s: field %s is not in the schema (the API server would "
                         "drop it)" % (ex["metadata"]["name"], p))
            # The schema must refuse broken objects, or the check above proves nothing.
            broken = [
                ("trigger earthquake", lambda b: b["spec"]["reductionStrategies"][0].update(
                    trigger="earthquake")),
                ("action shutdown", lambda b: b["spec"]["reductionStrategies"][0].update(
                    action="shutdown")),
                ("maxWatts as a string", lambda b: b["spec"].update(maxWatts="30kW")),
                ("maxWatts fractional", lambda b: b["spec"].update(maxWatts=1.5)),
                ("no maxWatts", lambda b: b["spec"].pop("maxWatts")),
                ("negative latency", lambda b: b["spec"].update(responseLatencyMs=-1)),
                ("endpoint not a URI", lambda b: b["spec"].update(
                    monitoringEndpoint="not a uri")),
                ("strategy without action", lambda b: b["spec"]["reductionStrategies"][0].pop(
                    "action")),
            ]
            for what, mutate in broken:
                b = copy.deepcopy(body)
                mutate(b)
                if not self.schema_errors(schema, b):
                    self.err("the schema accepts an example with %s" % what)

    # ---- daemon configs ------------------------------------------------------------------------

    def check_config(self, daemon, text, label, cwd):
        """Run wattlease-<daemon> --check-config on @text; returns the parsed config or None."""
        exe = os.path.join(self.bindir, "wattlease-" + daemon)
        strict = os.environ.get("WT_DEPLOY_STRICT") == "1"
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="deploy-") as f:
            attempt, dropped = text, []
            for _ in range(len(PENDING) + 1):
                f.seek(0)
                f.truncate()
                f.write(attempt)
                f.flush()
                r = subprocess.run([exe, "-c", f.name, "--check-config"], capture_output=True,
                                   text=True, cwd=cwd, timeout=60)
                if r.returncode == 0 and "configuration OK" in r.stdout:
                    if dropped:
                        self.pending.append("%s: checked without %s (not in this build yet)"
                                            % (label, ", ".join(dropped)))
                    return yaml.safe_load(text)
                lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
                todo = [p for p in PENDING if any(p[0].search(ln) for ln in lines)]
                rest = [ln for ln in lines if not any(p[0].search(ln) for p in PENDING)]
                if r.returncode == 1 and todo and not rest and not strict:
                    for p in todo:
                        attempt = p[1](attempt)
                        dropped.append(p[2])
                    continue
                break
        self.err("%s: wattlease-%s --check-config: exit %d\n       %s%s"
                 % (label, daemon, r.returncode, r.stdout.strip(),
                    r.stderr.strip().replace("\n", "\n       ")))
        return None

    def config_sets(self):
        """{set name: [(daemon, label, text)]} for deploy/config, compose and the ConfigMaps."""
        sets = {}
        for sub in ("deploy/config", "deploy/compose/config"):
            d = os.path.join(self.src, sub)
            for f in sorted(os.listdir(d)):
                if not f.endswith(".yaml"):
                    continue
                daemon = f.split("-")[0].split(".")[0]
                if daemon not in DAEMONS:
                    self.err("%s/%s: no daemon for this file name" % (sub, f))
                    continue
                with open(os.path.join(d, f)) as fh:
                    sets.setdefault(sub, []).append((daemon, "%s/%s" % (sub, f), fh.read()))
        for path, cm in self.objects("ConfigMap"):
            daemon = cm["metadata"].get("labels", {}).get("app.kubernetes.io/component")
            if daemon not in DAEMONS:
                self.err("%s: ConfigMap %s: label app.kubernetes.io/component must name a "
                         "daemon" % (path, cm["metadata"]["name"]))
                continue
            for k, text in sorted((cm.get("data") or {}).items()):
                sets.setdefault("deploy/k8s", []).append(
                    (daemon, "%s: ConfigMap %s key %s" % (path, cm["metadata"]["name"], k), text))
        return sets

    def check_daemon_configs(self):
        for d in DAEMONS:
            if not os.access(os.path.join(self.bindir, "wattlease-" + d), os.X_OK):
                self.err("no wattlease-%s in %s (build first)" % (d, self.bindir))
                return
        n = 0
        for name, items in sorted(self.config_sets().items()):
            parsed = []
            for daemon, label, text in items:
                n += 1
                cfg = self.check_config(daemon, text, label, self.src)
                if cfg is not None:
                    parsed.append((daemon, label, cfg))
            # deploy/config has alternatives (agent-trace.yaml); a set with a refused config
            # has been reported already.
            if name != "deploy/config" and len(parsed) == len(items):
                self.consistent(name, parsed)
        if n < 20:
            self.err("only %d daemon configs checked" % n)

    def consistent(self, name, parsed):
        by = {d: [(lbl, c) for dd, lbl, c in parsed if dd == d] for d in DAEMONS}
        ids = {}
        for daemon, label, cfg in parsed:
            ids.setdefault(cfg["id"], []).append(label)
            tls = cfg.get("tls")
            if not tls:
                self.err("%s: no tls block (mTLS is the default)" % label)
                continue
            cert = os.path.basename(tls.get("cert_file", ""))
            if cert != cfg["id"].replace("/", "_") + ".pem":
                self.err("%s: cert_file %s is not the certificate of identity '%s' (%s.pem)"
                         % (label, cert, cfg["id"], cfg["id"].replace("/", "_")))
            if ":" not in str(cfg.get("metrics_listen", "")) or not str(
                    cfg["metrics_listen"]).endswith(":%d" % METRICS_PORT):
                self.err("%s: metrics_listen must be on port %d" % (label, METRICS_PORT))
            if not str(cfg.get("listen", "")).startswith("0.0.0.0:"):
                self.err("%s: listen must be on every interface in a container" % label)
        for i, labels in ids.items():
            if len(labels) > 1:
                self.err("%s: id '%s' used twice: %s" % (name, i, ", ".join(labels)))
        for parent, child in (("cluster", "rack"), ("rack", "agent")):
            listed = {c["id"]: (lbl, p) for lbl, p in by[parent] for c in p.get("children", [])}
            for lbl, c in by[child]:
                if c["id"] not in listed:
                    self.err("%s: id '%s' is no child of any %s" % (lbl, c["id"], parent))
                    continue
                plbl, p = listed[c["id"]]
                port = str(p["listen"]).rsplit(":", 1)[1]
                if not str(c.get("parent", "")).endswith(":" + port):
                    self.err("%s: parent %s is not the port %s of %s" % (lbl, c.get("parent"),
                                                                         port, plbl))
            have = {c["id"] for _, c in by[child]}
            for cid, (plbl, _) in listed.items():
                if cid not in have:
                    self.err("%s: child '%s' has no config in %s" % (plbl, cid, name))

    # ---- compose -------------------------------------------------------------------------------

    def check_compose(self):
        path = "deploy/compose/compose.yaml"
        c = self.docs[path][0]
        svcs = c.get("services") or {}
        vols = set((c.get("volumes") or {}).keys())
        nets = set((c.get("networks") or {}).keys())
        ids, sans, cert_cmd = set(), set(), None
        cfgdir = os.path.join(self.src, "deploy/compose/config")
        daemons = 0
        for name, s in svcs.items():
            if "image" not in s:
                self.err("%s: service %s has no image" % (path, name))
            for v in s.get("volumes", []):
                src = v.split(":")[0]
                if not src.startswith((".", "/")) and src not in vols:
                    self.err("%s: service %s mounts undeclared volume %s" % (path, name, src))
            for n in s.get("networks", []):
                if n not in nets:
                    self.err("%s: service %s on undeclared network %s" % (path, name, n))
            for dep in s.get("depends_on") or {}:
                if dep not in svcs:
                    self.err("%s: service %s depends on unknown %s" % (path, name, dep))
            cmd = s.get("command") or []
            if cmd and cmd[0] in DAEMONS:
                daemons += 1
                cfg = cmd[cmd.index("-c") + 1]
                f = os.path.join(cfgdir, os.path.relpath(cfg, "/etc/wattlease"))
                if not os.path.isfile(f):
                    self.err("%s: service %s reads %s, not in deploy/compose/config" % (
                        path, name, cfg))
                    continue
                with open(f) as fh:
                    conf = yaml.safe_load(fh)
                ids.add(conf["id"])
                if "parent" in conf:
                    host = conf["parent"].rsplit(":", 1)[0]
                    if host not in svcs:
                        self.err("%s: parent %s is not a compose service" % (cfg, host))
                    sans.add(host)
                if s.get("read_only") is not True or "ALL" not in (s.get("cap_drop") or []):
                    self.err("%s: service %s must be read_only with cap_drop ALL" % (path, name))
            elif cmd and "wattlease-gen-certs" in " ".join(cmd):
                cert_cmd = " ".join(cmd)
        if daemons < 6:
            self.err("%s: expected 1 cluster, 2 racks and agents; found %d daemons" % (path,
                                                                                       daemons))
        if cert_cmd is None:
            self.err("%s: no one-shot service running wattlease-gen-certs" % path)
            return
        words = cert_cmd.split()
        for i in ids:
            if i not in words:
                self.err("%s: gen-certs makes no certificate for '%s'" % (path, i))
        for h in sans:
            if "--san %s" % h not in " ".join(words):
                self.err("%s: certificates lack subjectAltName %s (children dial it)" % (path, h))

    # ---- Dockerfile ----------------------------------------------------------------------------

    def check_dockerfile(self):
        path = os.path.join(self.deploy, "docker/Dockerfile")
        with open(path) as f:
            text = f.read()
        joined = re.sub(r"\\\n", " ", text)
        lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and
                 not ln.strip().startswith("#")]
        args = {}
        for ln in lines:
            m = re.match(r"ARG (\w+)=(\S+)", ln)
            if m:
                args[m.group(1)] = m.group(2)
        froms = [ln for ln in lines if ln.startswith("FROM ")]
        if len(froms) < 2:
            self.err("Dockerfile: not multi-stage")
        for ln in froms:
            img = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), "?"), ln.split()[1])
            if not re.fullmatch(r"debian:12(-slim)?", img):
                self.err("Dockerfile: base %s is not Debian 12 (bookworm) with a tag" % img)
        if not froms[-1].split()[1].endswith("-slim"):
            self.err("Dockerfile: the runtime stage is not debian:12-slim")
        stages = re.split(r"(?m)^FROM ", joined)[1:]
        with open(os.path.join(self.src, "tools/quickstart")) as f:
            qs = f.read()
        qs_pkgs = set(re.search(r"PACKAGES=\((.*?)\)", qs, re.S).group(1).split())
        pkgs = []
        for st in stages:
            for m in re.finditer(r"apt-get install ([^&;]*)", st):
                if "--no-install-recommends" not in m.group(1):
                    self.err("Dockerfile: apt-get install without --no-install-recommends")
                if "-y" not in m.group(1).split():
                    self.err("Dockerfile: apt-get install without -y")
                pkgs.append([w for w in m.group(1).split() if not w.startswith("-")])
            if "apt-get install" in st and "rm -rf /var/lib/apt/lists/*" not in st:
                self.err("Dockerfile: apt lists not removed in the same RUN")
        if len(pkgs) != 2:
            self.err("Dockerfile: expected one apt-get install per stage")
            return
        extra = set(pkgs[0]) - qs_pkgs
        if extra:
            self.err("Dockerfile: build packages not in tools/quickstart: %s" % sorted(extra))
        for test_only in ("libcmocka-dev", "clang-format", "python3-grpcio"):
            if test_only in pkgs[0]:
                self.err("Dockerfile: test-only package %s in the build stage" % test_only)
        if "-DWT_BUILD_TESTS=OFF" not in text or "RelWithDebInfo" not in text:
            self.err("Dockerfile: must build RelWithDebInfo with WT_BUILD_TESTS=OFF")
        runtime = set(pkgs[1])
        users = [ln.split()[1] for ln in stages[-1].splitlines() if ln.startswith("USER ")]
        if not users or users[-1].split(":")[0] in ("0", "root"):
            self.err("Dockerfile: the runtime stage must end as a non-root USER")
        if "ENTRYPOINT" in text and "wattlease-entrypoint" not in text:
            self.err("Dockerfile: unexpected ENTRYPOINT")
        if re.search(r"(?m)^ADD ", text):
            self.err("Dockerfile: use COPY, not ADD")
        if not os.path.isfile(os.path.join(self.src, ".dockerignore")):
            self.err(".dockerignore missing at the repository root")
        else:
            with open(os.path.join(self.src, ".dockerignore")) as f:
                ign = f.read().split()
            for must in (".git", "build/", "build-*/"):
                if must not in ign:
                    self.err(".dockerignore does not exclude %s" % must)
        # Every shared library the daemons need comes from a runtime package (or libc).
        if shutil.which("readelf") and shutil.which("dpkg"):
            for d in DAEMONS + ("ctl",):
                exe = os.path.join(self.bindir, "wattlease-" + d)
                r = subprocess.run(["readelf", "-d", exe], capture_output=True, text=True)
                for lib in re.findall(r"\(NEEDED\).*\[(.+?)\]", r.stdout):
                    q = subprocess.run(["dpkg", "-S", "*/" + lib], capture_output=True,
                                       text=True)
                    owners = {ln.split(":")[0] for ln in q.stdout.splitlines()}
                    if not owners & (runtime | {"libc6", "libgcc-s1"}):
                        self.err("Dockerfile: wattlease-%s needs %s (package %s), not in the "
                                 "runtime stage" % (d, lib, ", ".join(sorted(owners)) or "?"))
        else:
            print("     (no readelf/dpkg: runtime libraries not checked)")
        # The entrypoint script.
        ep = os.path.join(self.deploy, "docker/entrypoint.sh")
        r = subprocess.run(["bash", "-n", ep], capture_output=True, text=True)
        if r.returncode != 0:
            self.err("entrypoint.sh: %s" % r.stderr.strip())
        env = dict(os.environ, PATH=self.bindir + os.pathsep + os.environ.get("PATH", ""))
        r = subprocess.run([ep, "cluster", "-c", os.path.join(self.src,
                                                               "deploy/config/cluster.yaml"),
                            "--check-config"], capture_output=True, text=True, env=env)
        if r.returncode != 0 or "configuration OK" not in r.stdout:
            self.err("entrypoint.sh cluster ... --check-config: exit %d %s" % (r.returncode,
                                                                              r.stderr.strip()))

    # ---- systemd -------------------------------------------------------------------------------

    def check_systemd(self):
        d = os.path.join(self.deploy, "systemd")
        units = {f: open(os.path.join(d, f)).read() for f in sorted(os.listdir(d))
                 if f.endswith(".service")}
        want = {"wattlease-cluster.service", "wattlease-rack@.service",
                "wattlease-agent.service"}
        if set(units) != want:
            self.err("deploy/systemd: units %s, expected %s" % (sorted(units), sorted(want)))
        for f, text in units.items():
            kv = {}
            for ln in text.splitlines():
                if "=" in ln and not ln.startswith(("#", "[")):
                    k, v = ln.split("=", 1)
                    kv.setdefault(k, []).append(v)
            need = {"Type": "exec", "Restart": "on-failure", "NoNewPrivileges": "yes",
                    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                    "User": "wattlease"}
            for k, v in need.items():
                if kv.get(k, [None])[-1] != v:
                    self.err("%s: %s=%s expected" % (f, k, v))
            if "/etc/wattlease" not in " ".join(kv.get("ReadOnlyPaths", [])):
                self.err("%s: ReadOnlyPaths=/etc/wattlease expected" % f)
            if "/bin/kill -HUP $MAINPID" not in kv.get("ExecReload", []):
                self.err("%s: ExecReload=/bin/kill -HUP $MAINPID expected" % f)
            caps = kv.get("CapabilityBoundingSet", [None])[-1]
            if f == "wattlease-agent.service":
                if caps != "CAP_SYS_ADMIN":
                    self.err("%s: CapabilityBoundingSet must be CAP_SYS_ADMIN only" % f)
            elif caps != "":
                self.err("%s: CapabilityBoundingSet must be empty" % f)
            daemon = f.split("@")[0].split(".")[0]
            start = kv.get("ExecStart", [""])[-1]
            if not start.startswith("/usr/local/bin/%s -c /etc/wattlease/" % daemon):
                self.err("%s: ExecStart=%s" % (f, start))
        # The template's config path with the sample's instance name: rack-a -> @a.
        if "rack-%i.yaml" not in units.get("wattlease-rack@.service", ""):
            self.err("wattlease-rack@.service must read /etc/wattlease/rack-%i.yaml")
        if not shutil.which("systemd-analyze") or not os.path.isdir("/lib/systemd/system"):
            print("     (no systemd-analyze: units checked statically only)")
            return
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "usr/local/bin"))
            os.makedirs(os.path.join(root, "bin"))
            os.makedirs(os.path.join(root, "etc/systemd/system"))
            shutil.copytree("/lib/systemd/system", os.path.join(root, "lib/systemd/system"),
                            symlinks=True)
            for dm in DAEMONS:
                p = os.path.join(root, "usr/local/bin/wattlease-" + dm)
                with open(p, "w") as fh:
                    fh.write("#!/bin/sh\nexit 0\n")
                os.chmod(p, 0o755)
            shutil.copy(shutil.which("kill") or "/bin/kill", os.path.join(root, "bin/kill"))
            for u in units:
                shutil.copy(os.path.join(d, u), os.path.join(root, "etc/systemd/system", u))
            r = subprocess.run(["systemd-analyze", "verify", "--root=" + root,
                                "wattlease-cluster.service", "wattlease-rack@a.service",
                                "wattlease-agent.service"], capture_output=True, text=True,
                               cwd=os.path.join(root, "etc/systemd/system"), timeout=120)
            out = (r.stdout + r.stderr).strip()
            if r.returncode != 0 or out:
                self.err("systemd-analyze verify: exit %d\n       %s" % (
                    r.returncode, out.replace("\n", "\n       ")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True, help="repository root")
    ap.add_argument("--bin", required=True, help="the build tree's bin directory")
    a = ap.parse_args()
    c = Checker(os.path.abspath(a.source), os.path.abspath(a.bin))
    c.run("every YAML file under deploy/ parses", c.check_yaml_parses)
    c.run("Kubernetes objects: apiVersion, kind, metadata.name, namespace", c.check_k8s_objects)
    c.run("kustomizations: files exist, every base file listed, kubectl kustomize builds",
          c.check_kustomizations)
    c.run("workloads: /healthz probes on 9100, resources, securityContext, ids, Services",
          c.check_workloads)
    c.run("no private key in any Secret or file under deploy/", c.check_no_private_keys)
    c.run("secrets/make-secrets builds the three Secrets from gen-certs output",
          c.check_make_secrets)
    c.run("PowerConstraints CRD: structural schema; example valid; broken variants refused",
          c.check_crd)
    c.run("every daemon config passes --check-config; config sets are consistent",
          c.check_daemon_configs)
    c.run("compose: services, configs, certificates", c.check_compose)
    c.run("Dockerfile, .dockerignore and entrypoint", c.check_dockerfile)
    c.run("systemd units: settings and systemd-analyze verify", c.check_systemd)
    for p in c.pending:
        print("PENDING %s" % p)
    print("deploy: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
