"""Householder Projector (Song, Zhang, Sebe, Wang, ICCV 2023) against SeFa, on a StyleGAN2 trained here.

Modules, one idea each:

* ``shapes``     the procedural renderer whose generative factors are known (the training images);
* ``stylegan``   a small StyleGAN2 in rosinality's layout (modulated convs, eq. 1-3 of Karras et al.), its
                 discriminator, losses, ``train_step`` and the safe checkpoint loader ``load_checkpoint``;
* ``projector``  the paper's idea: SeFa's closed-form directions and the Householder projector
                 A = Q_out[:, :k] Q_in[:, :k]^T (eq. 4-7), traversals, the fine-tune;
* ``factors``    how a direction is scored: factor regressor, factor response, purity, MIG-style gap,
                 feature Frechet distance, re-render IoU;
* ``verdict``    per-direction cosine to init, purity, MIG-style gap, a PIPL analogue, and the verdict sentence.

``from core import householder as hp`` gives the projector's and the scores' functions directly
(``hp.sefa_layer``, ``hp.factor_response``, ``hp.load_checkpoint`` ...).
"""
from . import factors, projector, shapes, stylegan, verdict
from .factors import (DEFAULT_PSI, QUALITY_SAMPLES, RESPONSE_LATENTS, SCORED, FactorNet, factor_net_from_state, regressor_targets, regressor_loss, train_regressor,
                      read_factors, factor_changes, factor_response, purity, mig_gap, generated, mix_of,
                      shape_mix, object_mask, rerender_iou, shape_fidelity, frechet_distance, features_of,
                      real_features, feature_distance, fidelity, shape_scores, sample_scores, quality_checks,
                      compare_responses)
from .projector import (FINETUNE_LR, reflectors_from_frame, HouseholderLinear, attach_projectors, build_projector_generator,
                        orthogonality_error, layer_weights, sefa_layer, sefa_global, householder_directions, directions,
                        readout_cosines, slots_for, sample_w, direction_scale, traverse, rendered_images,
                        sample_images, finetune_projector)
from .stylegan import GConfig, Generator, TrainConfig, build_generator, load_checkpoint, load_checkpoint_bytes
from .verdict import fidelity_of, per_direction, pipl, summary, verdict as verdict_of
