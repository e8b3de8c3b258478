"""Pure ``nn.Module`` networks: CLIP RN50, Transporter ResNets, LingUNets, fusion, attention, transport."""
