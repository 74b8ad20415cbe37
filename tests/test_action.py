"""action.yml's steps run with bash on a sample repository, as GitHub's runner would run them:
`${{ inputs.* }}`, `${{ github.* }}` and `${{ steps.*.outputs.* }}` substituted, GITHUB_OUTPUT a
file, each `if:` evaluated for the cases it takes. The `uses:` steps (setup-python, upload-sarif)
are GitHub's own: their inputs are checked, not run. The install step installs version 0.1.0 from
an "index" that is the folder the wheel was built into, into the wheel's fresh venv.

The SARIF log is validated against the OASIS SARIF 2.1.0 JSON schema, committed beside this file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from built_package import REPO, installed

FIXTURES = REPO / "fixtures"
SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@pytest.fixture(scope="module")
def pkg(tmp_path_factory):
    pytest.importorskip("build")
    return installed(tmp_path_factory.getbasetemp() / "built-package")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A user's repository: models/ with a model that has a warning and a clean one."""
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    shutil.copy(FIXTURES / "unused_input.keras", repo / "models" / "two_inputs.keras")
    shutil.copy(FIXTURES / "dense_functional.keras", repo / "models" / "classifier.keras")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def run_action(pkg, repo: Path, **given: str) -> tuple[int, dict[str, str], str, list[dict]]:
    """The composite action's steps in order, stopping at the first that fails, as the runner does.
    Returns the exit code of the last step run, the lint step's outputs, everything printed, and
    the `uses:` steps the runner would have called with their `with:` inputs."""
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    inputs.update(given)
    outputs: dict[str, dict[str, str]] = {}

    def value(expr: str) -> str:
        kind, _, rest = expr.partition(".")
        if kind == "inputs":
            return inputs[rest]
        if kind == "github" and rest == "action_path":
            return str(REPO)
        if kind == "steps":
            step, _, name = rest.partition(".outputs.")
            return outputs.get(step, {}).get(name, "")
        raise AssertionError(f"action.yml uses an expression this test does not know: {expr}")

    def condition(text: str | None) -> bool:
        if text is None:
            return True
        text = text.replace("always() && ", "")
        clauses = [c.strip() for c in text.split("&&")]
        for clause in clauses:
            left, op, right = re.fullmatch(r"(\S+) (==|!=) '([^']*)'", clause).groups()
            if (value(left) == right) != (op == "=="):
                return False
        return True

    env = pkg.environ()
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(pkg.dist))  # the "index" holding 0.1.0
    printed, called, code = [], [], 0
    for step in ACTION["runs"]["steps"]:
        if not condition(step.get("if")):
            continue
        if "uses" in step:
            called.append({"uses": step["uses"], "with": {k: EXPR.sub(lambda m: value(m.group(1)), str(v))
                                                           for k, v in step.get("with", {}).items()}})
            continue
        out_file = repo.parent / f"output-{len(printed)}"
        out_file.write_text("")
        step_env = {**env, "GITHUB_OUTPUT": str(out_file), "GITHUB_ACTION_PATH": str(REPO)}
        step_env.update({k: EXPR.sub(lambda m: value(m.group(1)), str(v)) for k, v in step.get("env", {}).items()})
        assert step["shell"] == "bash"
        script = repo.parent / f"step-{len(printed)}.sh"
        script.write_text(EXPR.sub(lambda m: value(m.group(1)), step["run"]))
        # how GitHub's runner runs a `shell: bash` step
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=repo, env=step_env, capture_output=True, text=True, timeout=600, check=False)
        printed.append(done.stdout + done.stderr)
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
        code = done.returncode
        if code != 0:
            break
    return code, outputs.get("lint", {}), "".join(printed), called


def test_action_annotates_writes_valid_sarif_and_fails_on_warnings(pkg, sample: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    code, outputs, printed, called = run_action(pkg, sample, version="0.1.0", paths="models")
    assert code == 1, printed
    assert outputs == {"sarif-file": "keras-inspector.sarif", "exit-code": "1"}
    assert "::warning file=models/two_inputs.keras,title=G102 unused-input::" in printed
    assert "keras-inspector, version 0.1.0" in printed
    assert called == [
        {"uses": "actions/setup-python@v5", "with": {"python-version": "3.12"}},
        {"uses": "github/codeql-action/upload-sarif@v3",
         "with": {"sarif_file": "keras-inspector.sarif", "category": "keras-inspector"}},
    ]
    sarif = json.loads((sample / "keras-inspector.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "G102"
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "models/two_inputs.keras", "uriBaseId": "%SRCROOT%"}


def test_action_inputs_select_fail_on_and_no_sarif(pkg, sample: Path) -> None:
    code, outputs, printed, called = run_action(pkg, sample, version="0.1.0", paths="models", **{
        "fail-on": "error", "sarif-file": "", "python-version": ""})
    assert code == 0, printed  # a warning does not fail a run that fails on errors only
    assert outputs["exit-code"] == "0" and "::warning file=models/two_inputs.keras" in printed
    assert called == [] and not (sample / "keras-inspector.sarif").exists()

    code, outputs, printed, _ = run_action(pkg, sample, version="0.1.0", paths="models", select="N,A")
    assert code == 0 and outputs["exit-code"] == "0", printed  # G102 is not selected
    assert "::warning" not in printed and "::error" not in printed


def test_action_reports_an_unreadable_file(pkg, sample: Path) -> None:
    (sample / "models" / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    code, outputs, printed, _ = run_action(pkg, sample, version="0.1.0", paths="models")
    assert code == 2 and outputs["exit-code"] == "2", printed
    assert "models/broken.h5" in printed


def test_sarif_of_the_fixtures_is_valid_and_the_schema_rejects_a_broken_log() -> None:
    """The schema is the OASIS SARIF 2.1.0 one (oasis-tcs/sarif-spec, Documents/CommitteeSpecifications/
    2.1.0/sarif-schema-2.1.0.json, reformatted): it accepts every fixture's findings and refuses a
    result whose level SARIF does not know."""
    import sys

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    done = subprocess.run([sys.executable, "-m", "inspector", "lint", "fixtures", "--output-format", "sarif",
                           "--exit-zero"], cwd=REPO, capture_output=True, text=True, check=True)
    sarif = json.loads(done.stdout)
    assert len(sarif["runs"][0]["results"]) > 20
    jsonschema.validate(sarif, schema)
    sarif["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError, match="fatal"):
        jsonschema.validate(sarif, schema)
