"""Dataset loading: the fixed BBC News splits, user files, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
from sklearn.model_selection import train_test_split

from workbench.datasets.loading import align_labels, bbc_news_folder, load_dataset
from workbench.errors import DataError, ParameterError

from .conftest import TINY_ROWS, write_csv


def test_bbc_news_splits_follow_the_recipe():
    files = sorted(bbc_news_folder().glob("*/*.txt"), key=lambda p: (p.parent.name, p.name))
    topics = [p.parent.name for p in files]
    ids = [f"{p.parent.name}/{p.stem}" for p in files]
    rest, test = train_test_split(ids, test_size=0.2, stratify=topics, random_state=0)
    train, validation = train_test_split(rest, test_size=0.1, stratify=[i.split("/")[0] for i in rest], random_state=0)
    splits = {name: load_dataset(f"bbc-news:{name}") for name in ("train", "validation", "test")}
    assert len(files) == 2225
    assert {k: len(v) for k, v in splits.items()} == {"train": 1602, "validation": 178, "test": 445}
    assert set(splits["test"].ids) == set(test)
    assert set(splits["validation"].ids) == set(validation)
    assert set(splits["train"].ids) == set(train)
    assert splits["test"].label_names == ("business", "entertainment", "politics", "sports", "tech")
    assert all(i.split("/")[0] == label for i, label in zip(splits["test"].ids, splits["test"].labels))


def test_bbc_news_reads_the_one_cp1252_file():
    full = load_dataset("bbc-news")
    assert len(full) == 2225
    assert "£15.8m" in full.texts[full.ids.index("sports/199")]


def test_split_argument_equals_suffix():
    a, b = load_dataset("bbc-news", split="test"), load_dataset("bbc-news:test")
    assert a == b and a.sha256 == b.sha256


def _write_formats(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"id": [f"d{i}" for i in range(len(TINY_ROWS))], "text": [t for t, _ in TINY_ROWS], "label": [l for _, l in TINY_ROWS]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    frame.to_parquet(tmp_path / "d.parquet", index=False)
    return ["d.csv", "d.jsonl", "d.parquet"]


def test_csv_jsonl_and_parquet_load_the_same_records(tmp_path):
    datasets = [load_dataset(str(tmp_path / name)) for name in _write_formats(tmp_path)]
    for ds in datasets:
        assert (ds.ids, ds.texts, ds.labels) == (datasets[0].ids, datasets[0].texts, datasets[0].labels)
    assert datasets[0].ids[0] == "d0"
    assert datasets[0].label_names == ("business", "sports", "tech")


def test_custom_columns_and_default_ids(tmp_path):
    path = write_csv(tmp_path / "c.csv", [("hello", "x"), ("world", "y")], header="body,topic")
    ds = load_dataset(str(path), text_column="body", label_column="topic")
    assert ds.ids == ("0", "1") and ds.texts == ("hello", "world") and ds.labels == ("x", "y")
    unlabeled = load_dataset(str(path), text_column="body", label_column=None)
    assert unlabeled.labels is None and unlabeled.label_names == ()


def _bad_files(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("text,label\n")
    (tmp_path / "latin1.csv").write_bytes("text,label\ncaf\xe9 au lait,food\n".encode("latin-1"))
    write_csv(tmp_path / "notext.csv", [("a", "b")], header="body,label")
    write_csv(tmp_path / "nolabel.csv", [("a", "b")], header="text,topic")
    write_csv(tmp_path / "blank.csv", [("  ", "b")])
    write_csv(tmp_path / "nolabelvalue.csv", [("a", "b"), ("c", "")])
    write_csv(tmp_path / "dupe.csv", [("1", "a", "x"), ("1", "b", "y")], header="id,text,label")
    (tmp_path / "data.xml").write_text("<text/>\n")
    (tmp_path / "bad.jsonl").write_text('{"text": "a", "label": "b"}\n{not json\n')
    (tmp_path / "folder.csv").mkdir()


BAD_INPUTS = [
    ("missing.csv", "data file not found"),
    ("empty.csv", "is empty"),
    ("header.csv", "has a header but no rows"),
    ("latin1.csv", "is not valid UTF-8"),
    ("notext.csv", "no 'text' column .*--text-column"),
    ("nolabel.csv", "no 'label' column .*--label-column"),
    ("blank.csv", "text column 'text' is empty in row 0"),
    ("nolabelvalue.csv", "label column 'label' is empty in row 1"),
    ("dupe.csv", "id '1' occurs more than once"),
    ("data.xml", "unsupported file type '.xml'"),
    ("bad.jsonl", "could not be read as jsonl"),
    ("folder.csv", "is a folder"),
]


@pytest.mark.parametrize("name, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_files_raise_one_line_data_errors(tmp_path, name, message):
    _bad_files(tmp_path)
    with pytest.raises(DataError, match=message) as info:
        load_dataset(str(tmp_path / name))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("ref, message", [("bbc-news:dev", "unknown split 'dev'"), ("bbc-news:test", "names split 'test' but split='train'")])
def test_bad_splits(ref, message):
    with pytest.raises(DataError, match=message):
        load_dataset(ref, split="train" if ref.endswith("test") else None)


def test_split_on_a_file_is_refused(tiny_csv):
    with pytest.raises(DataError, match="applies only to built-in datasets"):
        load_dataset(str(tiny_csv), split="test")


def test_align_labels_matches_names_ignoring_case(tmp_path):
    ds = load_dataset(str(write_csv(tmp_path / "a.csv", [("x", "Business "), ("y", "tech")])))
    assert align_labels(ds, ("business", "sports", "tech")) == ("business", "tech")


def test_align_labels_lists_both_sets_for_an_unknown_label(tmp_path):
    ds = load_dataset(str(write_csv(tmp_path / "a.csv", [("x", "cooking"), ("y", "tech")])))
    with pytest.raises(DataError, match=r"\['cooking'\] are unknown.*dataset labels: \['cooking', 'tech'\], model labels: \['business', 'sports', 'tech'\]"):
        align_labels(ds, ("business", "sports", "tech"))


def test_dataset_fingerprint_depends_on_content(tmp_path):
    a = load_dataset(str(write_csv(tmp_path / "a.csv", [("x", "a")])))
    b = load_dataset(str(write_csv(tmp_path / "b.csv", [("y", "a")])))
    assert a.sha256 != b.sha256 and len(a.sha256) == 64
    json.dumps(a.sha256)


@pytest.mark.parametrize("ref", ["bbc-news:test", "bbc-qa:validation", "bbc-headlines:test"])
def test_a_dataset_of_any_task_cuts_into_its_own_type_with_its_own_hash_and_loads_again_by_name(ref):
    """len, slicing, select and limit=N, as a notebook cuts a dataset, without writing a file."""
    whole = load_dataset(ref)
    first = whole[:20]
    assert type(first) is type(whole) and len(first) == 20 and first.ids == whole.ids[:20]
    assert first.name == f"{ref}[0:20]" and first.sha256 != whole.sha256
    assert load_dataset(ref, limit=20) == first == load_dataset(first.name)  # the name is a reference
    picked = whole.select([7, 2, 7])
    assert picked.ids == (whole.ids[7], whole.ids[2], whole.ids[7]) and load_dataset(picked.name) == picked
    assert whole[-3:].ids == whole.ids[-3:] and load_dataset(whole[-3:].name) == whole[-3:]
    assert first[5:8].ids == whole.ids[5:8] and load_dataset(first[5:8].name) == first[5:8]
    written = load_dataset(f"{ref}[:20]")  # a reference's open end stays open in the name, so it loads again
    assert written.name == f"{ref}[:20]" and load_dataset(written.name) == written and written.ids == first.ids


def test_a_cut_keeps_a_file_s_columns_and_its_label_names_follow_its_rows(tmp_path):
    from workbench.datasets.loading import load_columns

    path = tmp_path / "d.csv"
    path.write_text("text,label,region\n" + "".join(f"doc {i},{'ab'[i % 2]},r{i}\n" for i in range(6)))
    ds = load_dataset(str(path))
    cut = ds.select([4, 0, 2])
    assert cut.labels == ("a", "a", "a") and cut.label_names == ("a",) and ds.label_names == ("a", "b")
    assert load_columns(cut.name, ["region"]) == {"region": ("r4", "r0", "r2")}


@pytest.mark.parametrize("cut, error, message", [
    (lambda ds: ds.select([8]), DataError, "has 8 rows, so row 8 is not one; select rows from 0 to 7"),
    (lambda ds: ds[3], TypeError,
     "cut a dataset with a slice such as ds\\[:20\\] or with ds.select\\(indices\\); got 3"),
    (lambda ds: ds[::2], TypeError, "cut a dataset with a slice"),
    (lambda ds: load_dataset(ds.name, limit=0), ParameterError, "limit must be 1 or more rows, got 0"),
])
def test_a_bad_cut_is_one_line(tiny_csv, cut, error, message):
    with pytest.raises(error, match=message) as caught:
        cut(load_dataset(str(tiny_csv)))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("ref, repeated", [("bbc-news:test", 33), ("bbc-headlines:test", 42), ("bbc-qa:validation", 4)])
def test_split_duplicates_are_the_evaluation_rows_whose_text_occurs_in_training(ref, repeated):
    """The BBC corpus repeats articles across its splits; each marked row's example is its training row's, case and
    spaces aside."""
    from workbench.datasets.duplicates import split_duplicates, training_split
    from workbench.words import whole_text

    duplicates = split_duplicates(ref)
    evaluation, train = load_dataset(ref), load_dataset(training_split(ref))
    example = {**dict(zip(train.ids, train.examples)), **dict(zip(evaluation.ids, evaluation.examples))}
    assert len(duplicates) == repeated and training_split(ref) == ref.split(":")[0] + ":train"
    assert all(whole_text(example[a]).casefold() == whole_text(example[b]).casefold() for a, b in duplicates.items())
    assert set(duplicates.values()) <= set(train.ids) and set(duplicates) <= set(evaluation.ids)
    cut = f"{ref}[0:100]"
    assert split_duplicates(cut) == {k: v for k, v in duplicates.items() if k in load_dataset(cut).ids}


def test_a_training_split_and_a_file_have_no_split_duplicates(tiny_csv):
    from workbench.datasets.duplicates import split_duplicates, training_split

    assert split_duplicates("bbc-news:train") == {} and split_duplicates(str(tiny_csv)) == {}
    assert training_split(str(tiny_csv)) is None
