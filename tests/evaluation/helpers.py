"""Writing small evaluation sets for the tests."""

from __future__ import annotations

import json
from pathlib import Path

TINY_CORPUS = [
    {"id": "a0", "title": "锣鼓经", "text": "锣鼓经是传统器乐及戏曲里常用的打击乐记谱方法。"},
    {"id": "a1", "title": "锣鼓经", "text": "锣鼓经常用的节奏型称为锣鼓点。"},
    {"id": "b0", "title": "臺灣科技", "text": "臺灣的半導體產業發展迅速，晶片出口創新高。"},
    {"id": "c0", "title": "天气预报", "text": "明天北方地区有大风降温天气。"},
    {"id": "c1", "title": "天气预报", "text": "南方多地将出现强降雨。"},
    {"id": "d0", "title": "", "text": "国家队在亚洲杯决赛中赢得冠军。"},
]
TINY_QUERIES = [
    {"id": "q1", "text": "锣鼓经常用的节奏型叫什么？", "relevant": ["a1"]},
    {"id": "q2", "text": "台湾半导体产业", "relevant": ["b0"]},
    {"id": "q3", "text": "南方会下大雨吗", "relevant": ["c1"]},
    {"id": "q4", "text": "亚洲杯冠军是谁？", "relevant": ["d0"]},
]


def write_set(folder: Path, corpus: list[dict], queries: list[dict]) -> Path:
    """Write ``corpus.jsonl`` and ``queries.jsonl`` into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (folder / name).write_text(text, encoding="utf-8")
    return folder
