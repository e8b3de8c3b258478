"""Pure ``nn.Module`` networks of CLIPort; nothing here imports PyBullet, env/ or tasks/.

Map (spec models.md section in brackets):

* ``encoders``: the Protocol the frozen pretrained encoders implement (§8-§9); ``fakes``: tiny stand-ins.
* ``clip/`` (CLIP RN50 + tokenizer + weights) and ``pretrained/`` (ImageNet RN50, DistilBERT).
* ``blocks`` (residual blocks, U-Net Up, per-sample BatchNorm), ``preprocess`` (normalisation),
  ``resnet`` (ResNet43_8s, ResNet45_10s, ResNet43_8s_lang; §7), ``lingunet`` (CLIPLingUNetLat and
  the §9.2 variants), ``fusion`` (§6).
* ``rotation`` (§5), ``correlation`` (FFT / direct), ``two_stream`` (§4, §10), ``attention`` (pick
  module, §2), ``transport`` (place module, §3), ``image_goal`` (image-goal modules).
"""
