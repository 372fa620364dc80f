#!/usr/bin/env bash
# natsbench make-fake-data / dataset / bench data, as a user runs them: JSON on stdout, and for
# bad input exit status 2 (bad argument) or 1 (bad data) with exactly one line on stderr.
set -u
natsbench="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

json_get() {  # json_get <file> <python expression on j>
  /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(($2))" "$1"
}

# Fake data in the official layouts.
"$natsbench" make-fake-data --root "$tmp/d" --dataset cifar10 --train 600 --test 120 --seed 4 \
  >"$tmp/fake.json" || fail "make-fake-data cifar10"
[ -f "$tmp/d/cifar-10-batches-py/data_batch_5" ] || fail "no data_batch_5"
[ -f "$tmp/d/splits/cifar-split.txt" ] || fail "no splits/cifar-split.txt"
"$natsbench" make-fake-data --root "$tmp/d" --dataset cifar100 --train 300 --test 100 >/dev/null ||
  fail "make-fake-data cifar100"
"$natsbench" make-fake-data --root "$tmp/d" --dataset imagenet16 --train 500 --test 200 >/dev/null ||
  fail "make-fake-data imagenet16"

# An independent reader: CPython + NumPy loads the fake CIFAR files as the real ones.
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  /usr/bin/python3 - "$tmp/d" <<'PY' || fail "python cannot read the fake files"
import pickle, sys
root = sys.argv[1]
# As the reference opens them: latin1 decoding of the Python-2 strings gives str keys.
with open(root + "/cifar-10-batches-py/data_batch_1", "rb") as f:
    d = pickle.load(f, encoding="latin1")
assert d["data"].shape == (120, 3072) and str(d["data"].dtype) == "uint8", d["data"].shape
assert len(d["labels"]) == 120 and max(d["labels"]) <= 9
with open(root + "/cifar-100-python/train", "rb") as f:
    d = pickle.load(f, encoding="latin1")
assert d["data"].shape == (300, 3072) and len(d["fine_labels"]) == 300
with open(root + "/cifar-10-batches-py/batches.meta", "rb") as f:
    assert len(pickle.load(f, encoding="latin1")["label_names"]) == 10
with open(root + "/ImageNet16/val_data", "rb") as f:
    v = pickle.load(f)
assert v["data"].shape == (200, 768) and 1 <= min(v["labels"]) and max(v["labels"]) <= 150
PY
fi

# dataset: JSON with every set's size.
"$natsbench" dataset --name cifar10-valid --root "$tmp/d" --splits "$tmp/d/splits" --verify \
  >"$tmp/ds.json" || fail "dataset cifar10-valid"
[ "$(json_get "$tmp/ds.json" 'j["sizes"]["train"], j["sizes"]["x-valid"], j["sizes"]["ori-test"]')" = "(300, 300, 120)" ] ||
  fail "cifar10-valid sizes: $(cat "$tmp/ds.json")"
[ "$(json_get "$tmp/ds.json" 'j["num_classes"], j["input_shape"], j["checksums"]["status"], j["eval_order"]')" = "(10, [3, 32, 32], 'mismatch', ['ori-test', 'x-valid'])" ] ||
  fail "cifar10-valid fields: $(cat "$tmp/ds.json")"
"$natsbench" dataset --name ImageNet16-120 --root "$tmp/d" --splits "$tmp/d/splits" >"$tmp/in.json" ||
  fail "dataset ImageNet16-120"
[ "$(json_get "$tmp/in.json" 'j["input_shape"], j["num_classes"], j["checksums"], j["sizes"]["x-valid"] + j["sizes"]["x-test"] == j["sizes"]["ori-test"]')" = "([3, 16, 16], 120, 'not verified', True)" ] ||
  fail "ImageNet16-120 fields: $(cat "$tmp/in.json")"
"$natsbench" dataset --name cifar100 --root "$tmp/d" --splits "$tmp/d/splits" >/dev/null ||
  fail "dataset cifar100"

# bench data on the CPU.
"$natsbench" bench data --dataset cifar10 --root "$tmp/d" --splits "$tmp/d/splits" --device cpu \
  >"$tmp/bench.json" || fail "bench data"
[ "$(json_get "$tmp/bench.json" 'j["train_images"], j["train_batches_per_epoch"], j["augmented_images_per_second"] > 0')" = "(600, 3, True)" ] ||
  fail "bench data: $(cat "$tmp/bench.json")"

# Bad input.
expect_error 2 "dataset 'cifar': expected one of" -- dataset --name cifar --root "$tmp/d"
expect_error 2 "--root is required" -- dataset --name cifar10
expect_error 2 "dataset 'mnist': expected cifar10, cifar100 or imagenet16" -- make-fake-data --root "$tmp/x" --dataset mnist
expect_error 2 "--layout 'zip': expected python or binary" -- make-fake-data --root "$tmp/x" --dataset cifar10 --layout zip
expect_error 1 "is not a directory" -- dataset --name cifar10 --root "$tmp/nowhere"
expect_error 1 "cifar100-test-split.txt" -- dataset --name cifar100 --root "$tmp/d" --splits "$tmp"
expect_error 1 "beyond the set of 600 images" -- dataset --name cifar10-valid --root "$tmp/d"
rm "$tmp/d/cifar-10-batches-py/test_batch"
expect_error 1 "test_batch" -- dataset --name cifar10 --root "$tmp/d"
expect_error 2 "device 'gpu'" -- bench data --dataset cifar10 --root "$tmp/d" --device gpu

finish "data CLI"
