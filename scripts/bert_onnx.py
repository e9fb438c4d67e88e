"""A BERT-style encoder as an ONNX graph, built from its weights with the `onnx` package.

Shared by the converters (convert_e5.py, convert_minilm.py). `weight(name, shape)` returns a
float32 array for one of these names, whatever the source's own names and storage:
  emb.word (VOC, H), emb.pos (MAXP, H), emb.type (TVS, H), emb.ln.{w,b}
  l{i}.{q,k,v,ao,fi,fo}.{w,b}   linear layers, weights as (out, in)
  l{i}.{aln,oln}.{w,b}          the layer norms after attention and after the feed-forward
The graph takes input_ids, attention_mask and token_type_ids and returns last_hidden_state;
pooling is left to fastembed.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build_graph(config, weight, name, word_dtype=np.float32):
    H, NL, NH, FF, MAXP = config["H"], config["NL"], config["NH"], config["FF"], config["MAXP"]
    VOC, eps, hd = config["VOC"], config["eps"], config["H"] // config["NH"]
    inits, nodes = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(array, name))
        return name

    def node(op, inputs, outputs=None, **attrs):
        outputs = outputs or [f"{op}_{len(nodes)}"]
        nodes.append(helper.make_node(op, inputs, outputs, **attrs))
        return outputs[0]

    def linear(x, prefix, n_out, n_in):
        w = init(f"{prefix}.wT", np.ascontiguousarray(weight(f"{prefix}.w", (n_out, n_in)).T))
        b = init(f"{prefix}.b", weight(f"{prefix}.b", (n_out,)))
        return node("Add", [node("MatMul", [x, w]), b])

    def layer_norm(x, prefix):
        w = init(f"{prefix}.w", weight(f"{prefix}.w", (H,)))
        b = init(f"{prefix}.b", weight(f"{prefix}.b", (H,)))
        return node("LayerNormalization", [x, w, b], axis=-1, epsilon=eps)

    # Embeddings: word (a table of `word_dtype`, cast after the gather) + position (0-based) +
    # token type 0, then LayerNorm.
    word = init("emb.word", weight("emb.word", (VOC, H)).astype(word_dtype))
    gathered = node("Gather", [word, "input_ids"], axis=0)
    if word_dtype != np.float32:
        gathered = node("Cast", [gathered], to=TensorProto.FLOAT)
    positions = init("emb.pos", weight("emb.pos", (MAXP, H)))
    seq_len = node("Slice", [node("Shape", ["input_ids"]), init("c1", np.array([1], np.int64)),
                             init("c2", np.array([2], np.int64))])
    pos = node("Slice", [positions, init("c0", np.array([0], np.int64)), seq_len,
                         init("axis0", np.array([0], np.int64))])
    token_type = init("emb.type0", weight("emb.type", (config["TVS"], H))[0])
    x = node("Add", [node("Add", [gathered, pos]), token_type])
    x = layer_norm(x, "emb.ln")

    # Attention bias from the mask: 0 where attended, -10000 where padded. [B, 1, 1, S]
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask = node("Unsqueeze", [mask, init("axes12", np.array([1, 2], np.int64))])
    bias = node("Mul", [node("Sub", [init("one", np.array(1.0, np.float32)), mask]),
                        init("neg", np.array(-10000.0, np.float32))])
    heads = init("heads_shape", np.array([0, 0, NH, hd], np.int64))
    merged = init("merged_shape", np.array([0, 0, H], np.int64))
    scale = init("scale", np.array(1.0 / np.sqrt(hd), np.float32))
    half = init("half", np.array(0.5, np.float32))
    sqrt2 = init("sqrt2", np.array(np.sqrt(2.0), np.float32))

    for l in range(NL):
        p = f"l{l}"
        q = node("Transpose", [node("Reshape", [linear(x, f"{p}.q", H, H), heads])], perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, f"{p}.k", H, H), heads])], perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, f"{p}.v", H, H), heads])], perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), bias])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merged])
        x = layer_norm(node("Add", [x, linear(context, f"{p}.ao", H, H)]), f"{p}.aln")
        inner = linear(x, f"{p}.fi", FF, H)
        gelu = node("Mul", [node("Mul", [inner, half]),
                            node("Add", [node("Erf", [node("Div", [inner, sqrt2])]),
                                         init(f"{p}.one", np.array(1.0, np.float32))])])
        x = layer_norm(node("Add", [x, linear(gelu, f"{p}.fo", H, FF)]), f"{p}.oln")

    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    dims = ["batch", "sequence"]
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, dims)
              for name in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [H])
    graph = helper.make_graph(nodes, name, inputs, [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="switchboard scripts/bert_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=False)
    return model
