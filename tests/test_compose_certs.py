"""The compose file's certificate script, run for real in a copy of the Elasticsearch image's layout.

No container runs here, so the script is taken out of docker-compose.yml (as docker compose would
pass it: the `certs` service's command, `$$` unescaped) and run with bash in a temporary
`/usr/share/elasticsearch`-like directory: `bin/`, `config/`, and the `es-certs` volume mounted at
`config/certs`. `bin/elasticsearch-certutil` there is a small stand-in that writes the zip files the
real tool writes (`ca --pem`: `ca/ca.crt` and `ca/ca.key`; `cert --pem --in instances.yml`: one
`<name>/<name>.crt` and `<name>/<name>.key` per instance) and refuses a CA file that does not exist,
as the real one does. The real `unzip`, `chown` and `chmod` run. Afterwards every certificate path
that the `elasticsearch` service's settings, its health check and the app's CA setting name must
exist in the volume.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path, PurePosixPath

import yaml

from tests.conftest import ROOT

ES_HOME = PurePosixPath("/usr/share/elasticsearch")

STAND_IN = textwrap.dedent('''\
    #!{python}
    """Stand-in for elasticsearch-certutil: the same arguments, the same zip layout."""
    import os, sys, zipfile
    import yaml

    args = sys.argv[1:]
    mode = args[0]
    with open(os.environ["CERTUTIL_LOG"], "a") as log:
        log.write(" ".join(args) + "\\n")
    if os.environ.get("CERTUTIL_FAIL") == mode:
        sys.exit("ERROR: certutil stand-in told to fail in " + mode + " mode")

    def value(*names):
        for name in names:
            if name in args:
                return args[args.index(name) + 1]
        return None

    assert "--pem" in args and "--silent" in args, args
    out = value("--out", "-out")
    pem = "-----BEGIN {{kind}}-----\\nstand-in for {{name}}\\n-----END {{kind}}-----\\n"
    files = {{}}
    if mode == "ca":
        files["ca/ca.crt"] = pem.format(kind="CERTIFICATE", name="ca")
        files["ca/ca.key"] = pem.format(kind="RSA PRIVATE KEY", name="ca")
    elif mode == "cert":
        for option in ("--ca-cert", "--ca-key", "--in"):
            path = value(option)
            if path is None or not os.path.isfile(path):
                sys.exit("ERROR: the file for " + option + " [" + str(path) + "] does not exist")
        with open(value("--in")) as fh:
            instances = yaml.safe_load(fh)["instances"]
        for instance in instances:
            name = instance["name"]
            files[name + "/" + name + ".crt"] = pem.format(kind="CERTIFICATE", name=name)
            files[name + "/" + name + ".key"] = pem.format(kind="RSA PRIVATE KEY", name=name)
    else:
        sys.exit("unknown mode " + mode)
    if os.environ.get("CERTUTIL_CORRUPT") == mode:
        open(out, "w").write("not a zip file")
        sys.exit(0)
    with zipfile.ZipFile(out, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
''')

UNZIP_STAND_IN = textwrap.dedent('''\
    #!{python}
    """Only where the system has no unzip: `unzip -o FILE -d DIR`."""
    import sys, zipfile
    args = sys.argv[1:]
    zipfile.ZipFile(args[args.index("-o") + 1]).extractall(args[args.index("-d") + 1])
''')


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def certs_argv() -> list[str]:
    """The certs service's command as docker compose hands it to the container: a list as it is, a
    string split shell-like (which is how a folded `>` block reaches bash)."""
    command = compose()["services"]["certs"]["command"]
    if isinstance(command, str):
        command = shlex.split(command)
    for part in command:
        unescaped = part.replace("$$", "")
        assert not re.search(r"\$\{?[A-Za-z_]", unescaped), f"compose would interpolate {part!r}"
    return [part.replace("$$", "$") for part in command]


def _executable(path: Path, text: str) -> None:
    path.write_text(text.format(python=sys.executable), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def image_layout(tmp_path: Path) -> tuple[Path, Path, dict]:
    """A copy of the image's layout with the es-certs volume mounted where the certs service mounts it."""
    home = tmp_path / "usr/share/elasticsearch"
    (home / "bin").mkdir(parents=True)
    (home / "config").mkdir()
    (home / "config/elasticsearch.yml").write_text("cluster.name: docker-cluster\n", encoding="utf-8")
    _executable(home / "bin/elasticsearch-certutil", STAND_IN)
    shims = tmp_path / "shims"
    shims.mkdir()
    if shutil.which("unzip") is None:
        _executable(shims / "unzip", UNZIP_STAND_IN)
    if os.geteuid() != 0:  # chown to uid 1000 needs root; the container runs the script as root
        _executable(shims / "chown", "#!/bin/sh\nexit 0\n")
    volumes = {}
    for mount in compose()["services"]["certs"]["volumes"]:
        name, target = mount.split(":")[:2]
        volumes[name] = home / PurePosixPath(target).relative_to(ES_HOME)
        volumes[name].mkdir(parents=True, exist_ok=True)  # docker creates the mount point
    env = {"PATH": f"{shims}:{os.environ['PATH']}", "HOME": str(tmp_path), "CERTUTIL_LOG": str(tmp_path / "calls")}
    return home, shims, {"volumes": volumes, "env": env}


def run_certs(home: Path, ctx: dict, **extra_env) -> subprocess.CompletedProcess:
    service = compose()["services"]["certs"]
    # The image's WORKDIR is /usr/share/elasticsearch; the compose file also says so explicitly.
    assert service.get("working_dir", str(ES_HOME)) == str(ES_HOME)
    return subprocess.run(certs_argv(), cwd=home, env={**ctx["env"], **extra_env}, capture_output=True,
                          text=True, timeout=60)


def named_certificate_paths(ctx: dict) -> list[Path]:
    """Every certificate file a consumer names, translated to where it lies in the volume."""
    services = compose()["services"]
    es = services["elasticsearch"]
    wanted: list[PurePosixPath] = []
    for key, value in es["environment"].items():
        if key.startswith("xpack.security.") and key.endswith((".key", ".certificate", ".certificate_authorities")):
            wanted.append(ES_HOME / "config" / value)  # relative settings resolve against the config dir
    health = " ".join(es["healthcheck"]["test"])
    wanted += [ES_HOME / m for m in re.findall(r"--cacert (\S+)", health)]
    paths = [_in_volume(p, es["volumes"], ctx) for p in wanted]
    app_ca = PurePosixPath(services["ui"]["environment"]["PARALLAX_ES_CA_FILE"])
    paths.append(_in_volume(app_ca, services["ui"]["volumes"], ctx))
    assert len(paths) >= 5, paths
    return paths


def _in_volume(path: PurePosixPath, mounts: list[str], ctx: dict) -> Path:
    for mount in mounts:
        name, target = mount.split(":")[:2]
        if name in ctx["volumes"] and path.is_relative_to(target):
            return ctx["volumes"][name] / path.relative_to(target)
    raise AssertionError(f"{path} is on no volume the certs service writes")


def test_certificate_script_is_a_list_that_starts_with_set_eu():
    command = compose()["services"]["certs"]["command"]
    assert isinstance(command, list), "a folded string keeps some line breaks and joins others"
    assert command[:2] == ["bash", "-c"]
    assert command[2].splitlines()[0].strip() == "set -eu"


def test_certificate_script_writes_every_path_the_node_and_the_app_name(tmp_path):
    home, _, ctx = image_layout(tmp_path)
    ran = run_certs(home, ctx)
    assert ran.returncode == 0, ran.stderr
    for path in named_certificate_paths(ctx):
        assert path.is_file(), f"{path} is named by the compose file but was not written"
        assert path.read_text().startswith("-----BEGIN ")
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["ca", "cert"]


def test_certificate_script_run_again_keeps_the_certificates(tmp_path):
    home, _, ctx = image_layout(tmp_path)
    assert run_certs(home, ctx).returncode == 0
    node_cert = ctx["volumes"]["es-certs"] / "elasticsearch/elasticsearch.crt"
    before = node_cert.read_bytes()
    again = run_certs(home, ctx)
    assert again.returncode == 0, again.stderr
    assert node_cert.read_bytes() == before
    assert len((tmp_path / "calls").read_text().splitlines()) == 2  # no new CA, no new certificate


def test_a_failing_step_fails_the_service_and_the_node_waits_for_success(tmp_path):
    """Bad input tried: certutil failing in cert mode, and certutil writing a corrupt zip."""
    assert compose()["services"]["elasticsearch"]["depends_on"]["certs"]["condition"] == \
        "service_completed_successfully"
    home, _, ctx = image_layout(tmp_path)
    failed = run_certs(home, ctx, CERTUTIL_FAIL="cert")
    assert failed.returncode != 0
    assert "told to fail in cert mode" in failed.stderr
    assert not (ctx["volumes"]["es-certs"] / "elasticsearch/elasticsearch.crt").exists()

    other = tmp_path / "corrupt"
    other.mkdir()
    home, _, ctx = image_layout(other)
    corrupt = run_certs(home, ctx, CERTUTIL_CORRUPT="ca")
    assert corrupt.returncode != 0
    assert not (ctx["volumes"]["es-certs"] / "ca/ca.crt").exists()


def test_missing_ca_makes_the_certificate_step_fail(tmp_path):
    """Bad input tried: a CA that was never written (the old script's path bug); certutil refuses."""
    home, _, ctx = image_layout(tmp_path)
    ran = run_certs(home, ctx, CERTUTIL_FAIL="ca")
    assert ran.returncode != 0
    assert [c.split()[0] for c in (tmp_path / "calls").read_text().splitlines()] == ["ca"]
