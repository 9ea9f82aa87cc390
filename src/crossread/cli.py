"""The ``crossread`` command line: a thin Typer wrapper over :mod:`crossread.api`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import api
from .config import STAGES, Config, load_config
from .errors import CrossreadError
from .pipeline import IngestResult
from .progress import Progress

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="crossread: corroboration, provenance and quote drift across news articles.")
console = Console(stderr=True)

DbOpt = Annotated[Path, typer.Option("--db", help="DuckDB store file (created if missing).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML file with a [crossread] table of "
                                                   "settings (see docs/configuration.md).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summary; errors only.")]
EngineOpt = Annotated[str | None, typer.Option("--engine", help="local (default) or ray.")]
NoModelsOpt = Annotated[bool, typer.Option("--no-models", help="Use lexical fallbacks instead of the offline "
                                           "spaCy and sentence-embedding models (faster, less accurate).")]
AllowPrivateOpt = Annotated[bool, typer.Option("--allow-private", help="Allow fetching URLs on private, "
                                               "loopback or link-local addresses (refused by default).")]


def _config(config_file: Path | None, **overrides: object) -> Config:
    try:
        return load_config(config_file, **overrides)
    except CrossreadError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.ERROR if quiet else logging.WARNING, format="%(levelname)s %(message)s")


def _print_ingest(result: IngestResult, quiet: bool) -> None:
    for err in result.errors:
        console.print(f"[yellow]skipped[/yellow] {err.source}: {err.reason}", markup=True, highlight=False)
    if quiet:
        return
    table = Table(title="ingest")
    for col in ("sources", "articles read", "new articles", "already stored sources", "skipped (errors)"):
        table.add_column(col, justify="right")
    table.add_row(str(result.sources), str(result.articles), str(result.new), str(result.skipped_sources),
                  str(len(result.errors)))
    console.print(table)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or http(s) URLs: .txt .md .html "
                                               ".htm .jsonl .warc .warc.gz and RSS/Atom feeds.")],
    db: DbOpt = Path("crossread.duckdb"),
    config_file: ConfigOpt = None,
    allow_private: AllowPrivateOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Read articles into the store (cleaned and segmented). Re-running skips what is already stored.

    Exit code 0 when at least one source was read (broken files are reported by name and skipped), 1 when
    nothing at all could be ingested.
    """
    _setup_logging(quiet)
    config = _config(config_file, db=db, allow_private=allow_private or None)
    with Progress(quiet=quiet) as progress:
        result = api.ingest(paths, config, progress)
    _print_ingest(result, quiet)
    if result.sources and not result.articles and not result.skipped_sources:  # nothing at all could be read
        raise typer.Exit(1)


@app.command()
def analyze(
    paths: Annotated[list[str] | None, typer.Argument(help="Optional inputs to ingest first.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.json, report.md, report.html.")]
    = Path("crossread-report"),
    db: DbOpt = Path("crossread.duckdb"),
    config_file: ConfigOpt = None,
    engine: EngineOpt = None,
    no_models: NoModelsOpt = False,
    no_spin_lm: Annotated[bool, typer.Option("--no-spin-lm", help="No language-model second look at spin "
                                             "(lexical spin scores only; saves ~0.5 CPU s per article it would "
                                             "read, ~0.85 where the CPU lacks bfloat16).")] = False,
    sentence_encoder: Annotated[str | None, typer.Option(
        "--sentence-encoder", help="Sentence vectors of the reuse and claims stages: minilm (default) or static "
        "(the static story encoder's: the full analysis ~1.4x faster, claim support F1 0.54 instead of 0.63 on "
        "claims labelled blind; quote variants keep MiniLM).")] = None,
    disable: Annotated[list[str] | None, typer.Option("--disable", help=f"Skip a story stage ({', '.join(STAGES)})"
                                                         "; repeatable.")] = None,
    recluster: Annotated[bool, typer.Option("--recluster", help="Cluster every stored article into stories again "
                                            "(e.g. the store's stories were built with another story encoder); "
                                            "stories that form again keep their analyses.")] = False,
    allow_private: AllowPrivateOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Ingest PATHS (if given), run every stage over the stored articles and write the report.

    Incremental: only new articles and the stories they touch are processed.
    """
    _setup_logging(quiet)
    config = _config(config_file, db=db, engine=engine, use_models=False if no_models else None,
                     spin_lm=False if no_spin_lm else None, sentence_encoder=sentence_encoder,
                     disabled_stages=tuple(disable) if disable else None,
                     allow_private=allow_private or None)
    try:
        with Progress(quiet=quiet) as progress:
            report = api.analyze(paths or [], out, config, progress, recluster=recluster)
    except CrossreadError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if report.ingest is not None:
        _print_ingest(report.ingest, quiet)
    for warning in report.data.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if report.ingest is not None and report.ingest.sources and not report.data["documents"]:
        raise typer.Exit(1)
    if not quiet:
        _print_summary(report)


def _print_summary(report: api.Report) -> None:
    d = report.data
    table = Table(title="analysis")
    for col in ("articles", "stories", "reuse links", "entities", "quotes", "figures", "claims"):
        table.add_column(col, justify="right")
    table.add_row(*(str(len(d[k])) for k in ("documents", "stories", "reuse", "entities", "quotes", "figures",
                                               "claims")))
    console.print(table)
    for f in report.files:
        console.print(f"wrote {f}")


@app.command()
def serve(
    db: DbOpt = Path("crossread.duckdb"),
    host: Annotated[str, typer.Option("--host", help="Address to bind; keep 127.0.0.1 unless you mean to share "
                                      "the store with your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Browse the store in a web UI (stories, claims, provenance, quotes, articles) and a JSON API; read-only."""
    import uvicorn

    from .web import create_app

    if not db.exists():
        console.print(f"[red]error:[/red] no store at {db}; run `crossread analyze ... --db {db}` first")
        raise typer.Exit(2)
    try:
        web_app = create_app(db)
    except CrossreadError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"serving {db} read-only at http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
