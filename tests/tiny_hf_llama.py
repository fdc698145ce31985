"""A tiny random Llama written by transformers as a Hugging Face directory, with a byte-level
BPE tokenizer trained on a given corpus ("<s>" and "</s>" as ids 0 and 1): the model the
checks run through llama-fast and through transformers. Norm weights near 1 and other
weights large enough (0.3 * randn) that states and likelihoods differ between inputs.
For the checks that run in the torch venv (tests/torch_check.sh)."""
import json
import os

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM


def make_tiny_llama(directory, corpus, vocab_size, seed, bos=False, max_positions=1024):
    """Writes the model to directory; returns (model, tokenizer). bos: the tokenizer puts
    "<s>" before every text."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer=trainer)
    if bos:
        tok.post_processor = processors.TemplateProcessing(single="<s> $A",
                                                           special_tokens=[("<s>", tok.token_to_id("<s>"))])
    torch.manual_seed(seed)
    cfg = LlamaConfig(hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=tok.get_vocab_size(), max_position_embeddings=max_positions,
                      rms_norm_eps=1e-5, bos_token_id=0, eos_token_id=1)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(1 + 0.3 * torch.randn_like(p) if n.endswith("norm.weight") else 0.3 * torch.randn_like(p))
    model.save_pretrained(directory, safe_serialization=True)
    tok.save(os.path.join(directory, "tokenizer.json"))
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<s>", "eos_token": "</s>"}, f)
    return model, tok
