"""The fork server's prepared plans (:mod:`ixion.engine.prepared`): made once for every host
with the same plugins and choices, the same plan a worker would make, and never for a job
naming a script the server did not preload."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from typing import TYPE_CHECKING

from ixion.engine.host import HostScan
from ixion.engine.loader import load_all, load_plugins
from ixion.engine.nasl_plugins import preloaded_nasl_plugin
from ixion.engine.prepared import Preparer
from ixion.engine.schedule import plan
from tests.engine.plugin_files import job, write_plugin

if TYPE_CHECKING:
    from pathlib import Path

    from ixion.engine.job import HostJob


def nasl(folder: Path, name: str, oid: int, dependencies: str = "") -> str:
    """A script that notes it ran in the KB (``order``), after ``dependencies``."""
    deps = f'  script_dependencies("{dependencies}");\n' if dependencies else ""
    (folder / name).write_text(
        f'if (description) {{\n  script_oid("1.3.6.1.4.1.25623.1.0.{oid}");\n'
        f'  script_name("{name}");\n  script_category(ACT_GATHER_INFO);\n'
        f'  script_family("Test");\n{deps}  exit(0);\n}}\n'
        f'set_kb_item(name:"order", value:"{name}");\n'
    )
    return str(folder / name)


def feed(folder: Path) -> HostJob:
    """Two scripts and a Python plugin, as a daemon's plugins_folder; b needs a."""
    nasl(folder, "a.nasl", 900001)
    nasl(folder, "b.nasl", 900002, dependencies="a.nasl")
    write_plugin(folder, "c", 900003, "ctx.kb.add('order', 'c.py')", dependencies=("b.nasl",))
    plugins = load_all(folder, folder / ".cache.sqlite")
    return dataclasses.replace(job([]), origins=plugins.origins, enabled=frozenset({900003}))


def test_a_plan_is_made_once_for_every_job_with_the_same_choices(tmp_path: Path) -> None:
    first = feed(tmp_path)
    preparer = Preparer()
    prepared = preparer.prepare(first)
    assert prepared is not None
    fresh = plan((p.info for p in load_plugins(first.origins).all), first.enabled, first.settings)
    assert prepared.plan == tuple(fresh)
    order = [p.info.filename for p in prepared.plan if p.info.id >= 900000]
    assert order == ["a.nasl", "b.nasl", "c.py"]
    # Another host of the scan, as the fork server receives it: a copy, not the same object.
    other_host = pickle.loads(pickle.dumps(dataclasses.replace(first, host="127.0.0.2")))
    assert preparer.prepare(other_host) is prepared
    other_choice = dataclasses.replace(first, enabled=frozenset({900001}))
    narrower = preparer.prepare(other_choice)
    assert narrower is not None
    assert [p.info.filename for p in narrower.plan if p.info.id >= 900000] == ["a.nasl"]


def test_a_job_naming_a_script_not_preloaded_is_left_to_its_worker(tmp_path: Path) -> None:
    daemon_job = feed(tmp_path)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    upload = nasl(uploads, "upload.nasl", 900004)
    user_job = dataclasses.replace(daemon_job, origins=(*daemon_job.origins, upload))
    assert Preparer().prepare(user_job) is None
    assert preloaded_nasl_plugin(upload) is None  # not described in the fork server
    unknown_python = dataclasses.replace(daemon_job, origins=(str(tmp_path / "never.py"),))
    assert Preparer().prepare(unknown_python) is None


def test_only_the_most_recent_choices_are_kept(tmp_path: Path) -> None:
    first = feed(tmp_path)
    second = dataclasses.replace(first, enabled=frozenset({900001}))
    preparer = Preparer(kept=1)
    prepared = preparer.prepare(first)
    assert preparer.prepare(second) is not None
    again = preparer.prepare(first)
    assert again is not None
    assert again is not prepared  # made again: the first had been let go
    assert again == prepared


def test_a_prepared_plan_scans_like_a_fresh_one(tmp_path: Path) -> None:
    host_job = feed(tmp_path)
    prepared = Preparer().prepare(host_job)
    assert prepared is not None
    runs = []
    for scan in (
        HostScan(host_job, prepared.plugins, lambda event: None, prepared.plan),
        HostScan(host_job, load_plugins(host_job.origins).all, lambda event: None),
    ):
        asyncio.run(asyncio.wait_for(scan.run(), 60))
        runs.append(list(scan.kb.values("order")))
    assert runs[0] == runs[1] == ["a.nasl", "b.nasl", "c.py"]
