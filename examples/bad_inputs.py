"""Write the damaged and hostile model files the README's "Reading models" and "Limits" examples
read, made from the repository's fixtures (run from the repository's root):

    python examples/bad_inputs.py [FOLDER]

vae/model.keras      a subclassed model as Keras writes it: a class name and no layer config
damaged.h5           a Keras .h5 file cut short, as an interrupted download leaves it
nested_200.json      a config nested 200 levels deep
huge_int.json        a config whose `units` is a 5,001-digit integer
huge_index.json      a config whose output reads tensor 10,000,000 of a one-output layer
nan_weight.json      a config whose loss weight is NaN (Python's json writes it; JSON has no NaN)
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def write_all(folder: Path) -> list[Path]:
    config = json.loads((FIXTURES / "dense_functional.json").read_text())
    written = []

    def write(name: str, data: str | bytes) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        written.append(path)

    buffer = folder / "vae" / "model.keras"
    buffer.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer, "w") as z:  # what Keras 2.14 saved for a subclassed VAE
        z.writestr("metadata.json", json.dumps({"keras_version": "2.14.0", "date_saved": "2023-11-03@23:07:14"}))
        z.writestr("config.json", json.dumps({"module": None, "class_name": "VAE", "config": {},
                                              "registered_name": "VAE"}))
    written.append(buffer)

    whole = (FIXTURES / "dense_functional.h5").read_bytes()
    write("damaged.h5", whole[: len(whole) // 3])

    write("nested_200.json", '{"class_name": "Functional", "config": ' + "[" * 200 + "]" * 200 + "}")

    huge = json.dumps(config)
    write("huge_int.json", huge.replace('"units": 32', '"units": ' + "9" * 5001, 1))

    index = json.loads(json.dumps(config))
    index["config"]["output_layers"] = [["digit", 0, 10_000_000]]
    write("huge_index.json", json.dumps(index))

    nan = json.loads(json.dumps(config))
    nan["compile_config"]["loss_weights"] = [float("nan")]
    write("nan_weight.json", json.dumps(nan))
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(path)
