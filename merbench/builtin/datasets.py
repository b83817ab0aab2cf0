"""Built-in dataset readers, speech transcribers and the data commands (demo-data, data, transcribe)."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register("demo", "merbench.datasets.demo.reader:DemoDataset",
             summary="The generated demo corpus (MER2024-shaped; `merbench demo-data`).",
             card={"layout": "demo", "splits": ["trainval", "semi", "noise", "ov", "unlabeled"], "valence": True})
    register("mer-processed", "merbench.datasets.processed:ProcessedDataset",
             summary="The baseline code's processed layout: video/, audio/, openface_face/, label-6way.npz.",
             card={"layout": "processed", "marker": "label-6way.npz"})
    register("mer2024", "merbench.datasets.mer2024:Mer2024Dataset",
             summary="MER2024 raw release: video-labeled/, label-disdim.csv, unlabeled pool, label-transcription.csv.",
             card={"layout": "raw", "marker": "label-disdim.csv"})


@hookimpl
def register_commands(register):
    register("demo-data", "merbench.cli.demo_data:demo_data",
             summary="Generate the demo corpus (tiny or standard) in both MER layouts.")
