"""Prints reference values from torch/transformers (run where they are installed, e.g. the GPU
device) used to hand-check nserve's SDXL torch-random.ts and clip-tokenizer.ts."""
import json, os, sys
import torch
out = {"torch": torch.__version__}
def randn(seed, shape):
    g = torch.Generator("cpu").manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float32).flatten().tolist()
out["randn_0_6"] = randn(0, (6,))
out["randn_0_25"] = randn(0, (25,))
out["randn_0_16"] = randn(0, (16,))
out["randn_42_1x4x8x8"] = randn(42, (1, 4, 8, 8))
g = torch.Generator("cpu").manual_seed(7)
a = torch.randn((1, 4, 4, 4), generator=g).flatten().tolist()
b = torch.randn((3,), generator=g).flatten().tolist()
c = torch.randn((2, 4, 4, 4), generator=g).flatten().tolist()
out["seq_7"] = {"a": a, "b": b, "c": c}
out["randn_2pow32_plus_5_20"] = randn(2**32 + 5, (20,))
try:
    from transformers import CLIPTokenizer
    d = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "sdxl-clip")
    t1 = CLIPTokenizer(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"))
    t2 = CLIPTokenizer(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"), pad_token="!")
    prompts = ["a photo of a cat", "A PHOTO   of\ta Cat", "cats! hello, world!!", "don't  café 2024", "日本 cat", "the cat" * 1 + " the" * 80, "", "x<|endoftext|>y"]
    try:
        import ftfy  # noqa
        out["ftfy"] = True
    except Exception:
        out["ftfy"] = False
    out["tok"] = [{"prompt": p,
                   "t1": t1(p, padding="max_length", max_length=77, truncation=True).input_ids,
                   "t2": t2(p, padding="max_length", max_length=77, truncation=True).input_ids} for p in prompts]
except Exception as e:
    out["tok_error"] = repr(e)
json.dump(out, sys.stdout)
