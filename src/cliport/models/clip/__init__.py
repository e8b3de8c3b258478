"""OpenAI CLIP RN50 for CLIPort's stream two: model, tokenizer, weights and the shared frozen encoder."""
