"""The diagnose development benchmark: buggy Keras programs with their data, each beside its fix
(`build`/`data` is the program as written, `build_fixed`/`data_fixed` the program after its fix),
and healthy programs of several kinds. `labels.json` says what each faulty program gets wrong and
where; it was written before `inspect diagnose` was run on any of them."""
