"""Built-in fusions, metrics and training strategies, and the run/submit commands."""

from merbench.hookspecs import hookimpl

@hookimpl
def register_fusions(register):
    register("attention", "merbench.fusions.attention:AttentionFusion",
             summary="MER baseline attention fusion, one branch per modality (softmax weights; weights='raw' as the code).",
             card={"input_level": "utterance", "branches": "modality", "stackable": True, "paper": "MER2023 eq. 1-8, MER2024 eq. 1-3"})
    register("attention-topn", "merbench.fusions.attention:AttentionFusion",
             summary="MER2024 Top-N attention: one branch per input feature (K = modalities x N).",
             card={"input_level": "utterance", "branches": "feature", "stackable": True, "paper": "MER2024 Table 5"})
    register("concat-mlp", "merbench.fusions.concat:ConcatMLPFusion",
             summary="Late-fusion DNN: per-modality MLPs, concatenated, an MLP on top.",
             card={"input_level": "utterance", "branches": "modality", "stackable": True})
    register("tfn", "merbench.fusions.tfn:TensorFusion", summary="Tensor Fusion Network (outer product of [h;1]).",
             card={"input_level": "utterance", "branches": "modality", "stackable": True, "paper": "Zadeh et al. 2017"})
    register("lmf", "merbench.fusions.lmf:LowRankFusion", summary="Low-rank Multimodal Fusion.",
             card={"input_level": "utterance", "branches": "modality", "paper": "Liu et al. 2018"})
    register("mult", "merbench.fusions.mult:MulTFusion",
             summary="Multimodal Transformer over frame-level features (cross-modal attention).",
             card={"input_level": "frame", "branches": "modality", "paper": "Tsai et al. 2019"})


@hookimpl
def register_metrics(register):
    register("waf", "merbench.training.metrics:WeightedF1", summary="Weighted-average F1 (sklearn, average='weighted').",
             card={"higher_is_better": True, "label_type": "discrete", "percent": True})
    register("acc", "merbench.training.metrics:Accuracy", summary="Accuracy.",
             card={"higher_is_better": True, "label_type": "discrete", "percent": True})
    register("mse", "merbench.training.metrics:ValenceMSE", summary="Valence mean squared error (MER2023).",
             card={"higher_is_better": False, "label_type": "valence"})
    register("combined", "merbench.training.metrics:Combined", summary="MER2023 combined score: WAF - 0.25 * MSE.",
             card={"higher_is_better": True, "label_type": "discrete+valence"})


@hookimpl
def register_training_strategies(register):
    register("supervised", "merbench.training.strategies:Supervised", summary="Train on the labeled Train&Val data only.")
    register("pseudo-label", "merbench.training.strategies:PseudoLabel",
             summary="Self-training with class-specific confidence-quantile pseudo-labels (MER2023 Algorithm 1).",
             card={"uses_unlabeled": True, "abbreviation": "PL"}, defaults={"quantile": 0.5, "rounds": 1})


@hookimpl
def register_commands(register):
    register("run", "merbench.cli.run:run", summary="Extract, corrupt, train and score every track; print the tables.")
    register("submit", "merbench.cli.submit:submit", summary="Write challenge submission CSVs from a run's predictions.")
