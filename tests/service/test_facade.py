"""Tests of the service facade: the model rule of indexing, info, inspect, uploads, live index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from semsearch.errors import IndexStoreError
from semsearch.service import Service

from .conftest import SEEDS, RecordingLoader

#: The keys of ``semsearch info --json``, in their order.
INFO_KEYS = [
    "index",
    "generation",
    "documents",
    "chunks",
    "model",
    "model_fingerprint",
    "dimension",
    "chunking",
    "sentence_vectors",
    "format_version",
    "created_at",
    "updated_at",
    "corpus_roots",
    "size_bytes",
    "files",
    "skipped",
    "reprints",
]


def test_update_without_a_model_uses_the_index_own_model(
    built: Service, loader: RecordingLoader
) -> None:
    # $SEMSEARCH_MODEL names another model (conftest): the index's own still wins.
    report = built.index_files()
    assert loader.names == ["fake-a"]
    assert report.nothing_changed
    shutil.copy(SEEDS[3], built.corpus_dir / SEEDS[3].name)
    assert built.index_files().added == 1
    assert loader.names == ["fake-a", "fake-a"]


def test_rebuild_without_a_model_uses_the_index_own_model_and_its_folders(
    built: Service, loader: RecordingLoader, tmp_path: Path
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(SEEDS[4], extra / SEEDS[4].name)
    built.index_files([extra])
    report = built.index_files(rebuild=True)
    assert loader.names == ["fake-a", "fake-a"]
    assert report.added == 4  # the corpus folder and the folder added later
    assert sorted(built.info().corpus_roots) == sorted(
        str(p.resolve()) for p in (built.corpus_dir, extra)
    )


def test_a_named_model_wins_and_meets_the_model_check(
    built: Service, loader: RecordingLoader
) -> None:
    with pytest.raises(IndexStoreError, match="fake-a"):
        built.index_files(model="fake-b")
    assert loader.names == ["fake-b"]
    overriding = Service(built.index_dir, built.corpus_dir, model="fake-c", embedder_loader=loader)
    assert overriding.indexing_model() == "fake-c"
    assert overriding.indexing_model("fake-d") == "fake-d"


def test_a_new_index_gets_the_configured_default_and_the_corpus_folder(
    service: Service, loader: RecordingLoader
) -> None:
    assert service.live_version() is None
    report = service.index_files()
    assert loader.names == ["fake-default"]
    assert report.added == 3
    assert service.info().model == "fake-default"
    assert service.live_version() == report.generation


def test_a_damaged_index_falls_back_to_the_default_for_a_rebuild(
    built: Service, loader: RecordingLoader
) -> None:
    manifest = built.index_dir / str(built.live_version()) / "manifest.json"
    manifest.write_text("{not json", encoding="utf-8")
    assert built.indexing_model() == "fake-default"
    with pytest.raises(IndexStoreError):
        built.index_files()
    assert built.index_files(rebuild=True).added == 3
    assert built.info().model == "fake-default"


def test_info_describes_the_live_version(built: Service) -> None:
    info = built.info()
    assert list(info.to_json()) == INFO_KEYS
    assert info.documents == 3 and info.chunks > 10 and info.model == "fake-a"
    assert info.generation == built.live_version()
    assert "manifest.json" in info.files and "meta.sqlite" in info.files
    assert info.size_bytes > sum(info.files.values())  # the keyword folder counts too
    assert info.skipped == [] and info.to_json()["skipped"] == []
    assert info.to_json()["reprints"] == {"groups": 0, "documents": 0, "largest": []}
    assert built.info(built.open_live()) == info


def test_inspect_reads_a_file_as_the_indexer_does(service: Service) -> None:
    inspection = service.inspect(SEEDS[4])
    payload = inspection.to_json()
    assert payload["date"] == "2021-09-03"
    assert any("微信图片" in removed["text"] for removed in payload["removed"])
    assert [chunk["index"] for chunk in payload["chunks"]] == list(range(len(inspection.chunks)))
    first = inspection.chunks[0]
    assert inspection.document.text[first.start : first.end] == first.text


def test_live_index_searches_lists_and_reads_articles(built: Service) -> None:
    live = built.open_live()
    assert live.generation == built.live_version()
    assert [d.path for d in live.documents] == sorted(d.path for d in live.documents)
    live.warm_up()
    hit = live.search("焦裕禄干部学院", k=1).hits[0]
    article = live.article(hit, "焦裕禄干部学院")
    assert article.record.text[hit.start : hit.end] == hit.text
    assert article.highlights and article.meta.startswith(article.record.path)
    around = live.neighbourhood(hit, "焦裕禄干部学院")
    assert around is not None and around.text[around.hit_start : around.hit_end] == hit.text
    assert live.document(hit.doc_id) is live.document(hit.doc_id)  # read once, then kept


def test_live_index_without_the_article_has_no_neighbourhood(built: Service) -> None:
    live = built.open_live()
    hit = live.search("焦裕禄", k=1).hits[0]
    hit.doc_id = "no-such-article"
    assert live.neighbourhood(hit, "焦裕禄") is None


def test_keyword_only_opening_loads_no_model(built: Service, loader: RecordingLoader) -> None:
    live = built.open_live(need_embedder=False)
    assert loader.names == []
    assert live.search("焦裕禄", mode="keyword", k=1).hits


def test_uploads_are_saved_indexed_and_reported_per_file(
    built: Service, loader: RecordingLoader
) -> None:
    article = SEEDS[3].read_bytes()
    outcome = built.save_uploads(
        [
            ("新闻.txt", article),
            ("图片.jpg", b"\xff\xd8"),
            ("broken.pdf", b"%PDF-1.4 not really"),
        ]
    )
    assert loader.names == ["fake-a"]
    assert [a.saved.status if a.saved else "refused" for a in outcome.attempts] == [
        "saved",
        "refused",
        "refused",
    ]
    assert outcome.attempts[1].error is not None and ".jpg" in outcome.attempts[1].error.message
    # A damaged file is read before it is saved, and refused with the indexer's reason.
    broken = outcome.attempts[2].error
    assert broken is not None and "not a valid .pdf file" in broken.message
    assert not (built.corpus_dir / "broken.pdf").exists()
    assert outcome.report is not None and outcome.report.added == 1
    assert [item.path.name for item in outcome.indexed] == ["新闻.txt"]
    assert outcome.unindexable == []
    assert (built.corpus_dir / "新闻.txt").read_bytes() == article

    again = built.save_uploads([("新闻.txt", article)])
    assert again.attempts[0].saved is not None and again.attempts[0].saved.status == "duplicate"
    assert again.report is not None and again.report.nothing_changed
    assert again.indexed == []  # nothing new: no "Indexed …" to announce


def test_uploads_that_are_all_refused_index_nothing(
    built: Service, loader: RecordingLoader
) -> None:
    outcome = built.save_uploads([("empty.txt", b"")])
    assert outcome.saved == [] and outcome.report is None and loader.names == []
    assert outcome.attempts[0].error is not None


def test_upload_indexing_errors_are_kept_with_the_saved_files(
    service: Service, tmp_path: Path
) -> None:
    (tmp_path / "index").write_text("not a folder", encoding="utf-8")
    outcome = service.save_uploads([("新闻.txt", SEEDS[3].read_bytes())])
    assert outcome.saved and outcome.report is None
    assert outcome.index_error is not None and "is a file" in outcome.index_error.message


def test_upload_extensions_are_the_readable_ones(service: Service) -> None:
    assert service.upload_extensions() == ["docx", "htm", "html", "md", "pdf", "txt"]
