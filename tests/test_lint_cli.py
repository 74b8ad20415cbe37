"""`inspect lint`, `inspect rules`, `inspect rule`: exit codes, selection, configuration, formats."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector.cli import main
from inspector.engine import all_rules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def lint(monkeypatch, tmp_path):
    """Run `inspect lint ...` in-process from an empty folder (so no pyproject.toml applies)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        return CliRunner().invoke(main, ["lint", *args])

    return run


@pytest.fixture()
def models(fixtures_dir, tmp_path):
    """A folder with one clean model, two with findings and an architecture JSON."""
    folder = tmp_path / "models"
    (folder / "legacy").mkdir(parents=True)
    for name in ("dense_functional.keras", "unused_input.keras", "dense_functional.json"):
        shutil.copy(fixtures_dir / name, folder / name)
    # six sigmoid Dense layers in a row: missing-normalization's trained evidence model
    shutil.copy(fixtures_dir / "evidence" / "missing-normalization.faulty.keras", folder / "legacy" / "deep.keras")
    return folder


def test_clean_file_exits_0(lint, fixtures_dir):
    result = lint(str(fixtures_dir / "dense_functional.keras"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "No findings in 1 file.\n"


def test_findings_exit_1_and_exit_zero(lint, fixtures_dir):
    path = str(fixtures_dir / "unused_input.keras")
    result = lint(path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:metadata: G102 unused-input input 'metadata' is declared but no output depends on it",
        "Found 1 finding (1 warning) in 1 of 1 file.",
    ]
    assert lint(path, "--exit-zero").exit_code == 0


def test_unreadable_file_exits_2_but_others_are_checked(lint, fixtures_dir, tmp_path):
    bad = tmp_path / "broken.h5"
    bad.write_text("not a model")
    good = str(fixtures_dir / "unused_input.keras")
    result = lint(str(bad), good, "nope.keras")
    assert result.exit_code == 2
    assert f"inspect: error: {bad}: not a model file" in result.stderr
    assert "inspect: error: nope.keras: no such file or directory" in result.stderr
    assert "G102 unused-input" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "Found 1 finding (1 warning) in 1 of 3 files (2 files could not be read).")


@pytest.mark.parametrize("command", ["lint", "scan"])
def test_a_file_that_cannot_be_read_is_one_error_line_and_no_summary(command, corpus_dir, monkeypatch, tmp_path):
    # A subclassed model from a real repository: nothing is checked, so "No findings in 1 file"
    # would be untrue; the one `inspect: error:` line on stderr is the whole answer.
    monkeypatch.chdir(tmp_path)
    vae = str(corpus_dir / "AlgoDM-Fall2023-Team2__Visual-Search-Using-Variational-Autoencoders__model.keras")
    for args in ([vae], ["nope.keras"]):
        result = CliRunner().invoke(main, [command, *args])
        assert result.exit_code == 2
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith(f"inspect: error: {args[0]}: ")


def test_symlink_loop_is_walked_once_and_unreadable_folder_exits_2(lint, models, monkeypatch):
    (models / "up").symlink_to("..", target_is_directory=True)
    result = lint(str(models), "--exit-zero")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].endswith("in 2 of 4 files.")
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self.name == "legacy":
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    result = lint(str(models))
    assert result.exit_code == 2
    assert f"inspect: error: {models / 'legacy'}: cannot list the folder: permission denied" in result.stderr
    assert "G102 unused-input" in result.stdout  # the other files are still checked
    assert result.stdout.splitlines()[-1].endswith("(1 file could not be read).")


def test_directory_recursion_finds_models_only(lint, models):
    result = lint(str(models))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{models}/legacy/deep.keras:dense1", f"{models}/unused_input.keras:metadata"]
    assert lines[-1] == "Found 2 findings (2 warnings) in 2 of 4 files."


def test_select_and_ignore_by_code_name_and_prefix(lint, models):
    def codes(*args):
        out = lint(str(models), "--output-format", "json", *args).stdout
        return sorted(f["code"] for f in json.loads(out))

    assert codes() == ["G102", "N101"]
    assert codes("--select", "G") == ["G102"]
    assert codes("--select", "N101,unused-input") == ["G102", "N101"]
    assert codes("--select", "N1", "--select", "G102", "--ignore", "N101") == ["G102"]
    assert codes("--ignore", "missing-normalization") == ["G102"]
    bad = lint(str(models), "--select", "X42")
    assert bad.exit_code == 2 and "unknown rule selector 'X42'" in bad.stderr


def _write_pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text("[project]\nname = 'demo'\n\n" + body)
    return path


def test_config_discovered_walking_up_with_per_file_ignores_and_options(models, monkeypatch):
    _write_pyproject(models, """
[tool.inspector]
ignore = ["unused-input"]
per-file-ignores = { "legacy/*.keras" = ["N"] }
""")
    sub = models / "legacy"
    monkeypatch.chdir(sub)
    runner = CliRunner()
    result = runner.invoke(main, ["lint", str(models)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No findings in 4 files.\n"
    # command-line --select wins over the file's ignore list
    result = runner.invoke(main, ["lint", str(models), "--select", "G102"])
    assert result.exit_code == 1 and "G102 unused-input" in result.stdout


def test_rule_options_from_config(models, monkeypatch, tmp_path):
    target = str(models / "legacy" / "deep.keras")  # 6 sigmoid weight layers in a row
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    config = _write_pyproject(tmp_path, "[tool.inspector.rules.missing-normalization]\nsigmoid-depth = 7\n")
    assert runner.invoke(main, ["lint", target]).exit_code == 0
    config.write_text("[tool.inspector.rules.missing-normalization]\nsigmoid-depth = 6\n")
    assert runner.invoke(main, ["lint", target]).exit_code == 1
    other = tmp_path / "strict.toml"
    other.write_text("select = ['N101']\n[rules.N101]\nsigmoid-depth = 3\n")
    result = runner.invoke(main, ["lint", target, "--config", str(other)])
    assert result.exit_code == 1 and "6 weight layers in a row" in result.stdout


@pytest.mark.parametrize(("body", "message"), [
    ("[tool.inspector]\nselct = ['N']\n", "unknown key 'selct' in [tool.inspector]"),
    ("[tool.inspector]\nignore = ['N999']\n", "ignore: unknown rule selector 'N999'"),
    ("[tool.inspector.rules.missing-normalization]\ndeep = 3\n", "rule missing-normalization has no option 'deep'"),
    ("[tool.inspector.rules.no-such-rule]\ndepth = 3\n", "no rule named 'no-such-rule'"),
    ("[tool.inspector\n", "invalid TOML"),
])
def test_bad_configuration_is_a_usage_error(fixtures_dir, monkeypatch, tmp_path, body, message):
    (tmp_path / "pyproject.toml").write_text(body)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", str(fixtures_dir / "dense_functional.keras")])
    assert result.exit_code == 2
    assert result.stderr.startswith("inspect: error: ") and message in result.stderr


def test_output_formats_from_the_command_line(lint, fixtures_dir):
    path = str(fixtures_dir / "lambda_layer.keras")
    data = json.loads(lint(path, "--output-format", "json").stdout)
    assert [(d["code"], d["name"], d["severity"], d["layers"]) for d in data] == [
        ("S101", "unsafe-lambda", "error", ["double"])]
    sarif = json.loads(lint(path, "--output-format", "sarif").stdout)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "S101"
    github = lint(path, "--output-format", "github").stdout
    assert github.startswith(f"::error file={path},title=S101 unsafe-lambda::Lambda 'double'")


def test_rules_and_rule_commands():
    runner = CliRunner()
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert any(line.startswith("N101  missing-normalization") and "warning" in line for line in lines)
    assert any(line.startswith("S101  unsafe-lambda") and "error" in line for line in lines)
    # grouped by family, each under its title and what its rules check
    headers = [line for line in lines if re.match(r"^[A-Z]  ", line)]
    assert headers[0] == "A  Architecture. Layers whose arrangement cannot learn the task well."
    assert "T  Taste (opt-in). Conventions some teams hold; off unless selected." in headers
    codes = [line[:4] for line in lines if re.match(r"^[A-Z]\d{3}  ", line)]
    assert codes == sorted(codes) and len(codes) == len(all_rules())
    for header in headers:
        below = lines[lines.index(header) + 1]
        assert below.startswith(header[0]) and below[1:4].isdigit()
    doc = runner.invoke(main, ["rule", "missing-normalization"])
    assert doc.exit_code == 0
    assert doc.stdout.startswith("# N101 missing-normalization\n")
    assert "depth" in doc.stdout and "## How to fix" in doc.stdout
    assert runner.invoke(main, ["rule", "n101"]).stdout == doc.stdout
    missing = runner.invoke(main, ["rule", "nope"])
    assert missing.exit_code == 2 and "no rule named 'nope'" in missing.stderr


def test_lint_imports_no_tensorflow_and_reads_no_weight_arrays(fixtures_dir, tmp_path):
    """A whole lint run of the Keras fixtures in a fresh interpreter: TensorFlow, Keras and onnx
    are never imported, and no HDF5 dataset's values are read (only shapes and dtypes)."""
    from inspector.targets import discover

    targets = [t for t in discover([str(fixtures_dir)]) if Path(t).suffix != ".onnx"]
    script = tmp_path / "probe.py"
    script.write_text(f"""
import sys
import h5py
reads = []
original = h5py.Dataset.__getitem__
def spy(self, key):
    reads.append(self.name)
    return original(self, key)
h5py.Dataset.__getitem__ = spy
from inspector.cli import main
from inspector.engine import all_rules
try:
    main(["lint", *{targets!r}, "--exit-zero"])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "onnx"))
print("EXIT", code, "HEAVY", heavy, "READS", reads)
""")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, str(script)], check=False, capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=300).stdout
    assert out.strip().splitlines()[-1] == "EXIT 0 HEAVY [] READS []"


def test_data_that_does_not_fit_names_the_data_file(lint, fixtures_dir, tmp_path, keras):
    np = pytest.importorskip("numpy")
    data = tmp_path / "wrong.npz"
    np.savez(data, posts=np.zeros((4, 7), "int32"), age=np.zeros((4, 1)), income=np.zeros((4, 10)),
             gender=np.zeros((4, 1)))
    result = lint(str(fixtures_dir / "three_outputs_unweighted.keras"), "--data", str(data))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"inspect: error: {data}: the data does not fit the model: Input 0 ")
    assert "internal error" not in result.stderr


def test_an_internal_error_names_the_targets(lint, fixtures_dir, monkeypatch):
    """report_errors looked only for `path`/`paths`, so lint's bugs printed `inspect: error: : ...`."""
    import inspector.report

    def broken(name):
        raise RuntimeError("formatter exploded\nsecond line")

    monkeypatch.setattr(inspector.report, "formatter", broken)
    keras_file, h5_file = (str(fixtures_dir / f"dense_functional.{s}") for s in ("keras", "h5"))
    result = lint(keras_file, h5_file)
    assert result.exit_code == 2
    assert result.stderr == (f"inspect: error: {keras_file}, {h5_file}: internal error RuntimeError: "
                             "formatter exploded (a bug in keras-inspector: please report it)\n")


def test_output_formats_are_one_list(fixtures_dir):
    """The CLI's choices are report.FORMATS (they were a second, hard-coded list), every name has
    its own formatter, and an unknown name is refused rather than printed as text."""
    from inspector.errors import UsageError
    from inspector.report import FORMATS, LintRun, formatter

    (option,) = [p for p in main.commands["lint"].params if p.name == "output_format"]
    assert tuple(option.type.choices) == FORMATS == ("text", "json", "sarif", "github")
    run = LintRun((), (str(fixtures_dir / "dense_functional.keras"),))
    outputs = {name: formatter(name)(run) for name in FORMATS}
    assert len(set(outputs.values())) == len(FORMATS)
    with pytest.raises(UsageError, match="unknown output format 'xml'"):
        formatter("xml")


def _executable() -> str:
    found = Path(sys.executable).with_name("inspect")
    if not found.exists():
        pytest.skip("the inspect executable is not installed next to this Python")
    return str(found)


@pytest.mark.parametrize("args, message", [
    (["export", "fixtures/dense_functional.keras", "-o", "fixtures"],
     "Invalid value for '-o' / '--output': File 'fixtures' is a directory. (`inspect export --help` shows the usage)"),
    (["docs", "fixtures/dense_functional.keras"],
     "Missing option '-o' / '--output'. (`inspect docs --help` shows the usage)"),
    (["lint", "fixtures/dense_functional.keras", "--fail-on", "bogus"],
     ("Invalid value for '--fail-on': 'bogus' is not one of 'error', 'warning', 'info', 'never'. "
     "(`inspect lint --help` shows the usage)")),
    (["diff", "--fail-on", "error", "a.keras", "b.keras"],
     "No such option '--fail-on'. (`inspect diff --help` shows the usage)"),
    (["summary"], "Missing argument 'PATH_OR_BUILDER'. (`inspect summary --help` shows the usage)"),
])
def test_a_bad_argument_is_one_error_line_with_exit_2(args, message):
    """Click's own usage errors were three lines (usage, hint, error): the real executable, as a
    user or a pre-commit hook runs it, now prints the one `inspect: error:` line every error is."""
    done = subprocess.run([_executable(), *args], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"inspect: error: {message}"]


def test_help_version_and_no_arguments_are_as_before():
    def run(*args):
        return subprocess.run([_executable(), *args], capture_output=True, text=True, check=False)

    assert run("--version").stdout == "keras-inspector, version 0.1.0\n"
    assert run("lint", "--help").returncode == 0
    bare = run()
    assert bare.returncode == 2 and bare.stderr.startswith("Usage: inspect [OPTIONS] COMMAND [ARGS]...")
