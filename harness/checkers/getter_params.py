"""The fields each built-in getter reads from its spec, typed: ``@getter(name, params=...)`` registers them.

A test reads every ``spec.field``/``spec.require`` call of the getter modules
and checks that each name is declared here for that getter, so a field added
to a getter without its declaration fails the suite.  A few fields OSWorld's
tasks give that deskbench's getter does not read (``time_suffix``, the
``goto_prefix`` of ``active_tab_info``) are declared too: a task may carry
them, they change nothing here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from harness.tasks.params import Command, FileName, GetterParams, GuestPath, PageUrl, Resource


class NoFields(GetterParams):
    """A getter that reads nothing but its type."""


class DestParams(GetterParams):
    dest: FileName | None = None  # the file's name in the episode's cache folder


class VmFileParams(DestParams):
    path: GuestPath | list[GuestPath]
    dest: FileName | list[FileName] | None = None  # type: ignore[assignment]  # one per path when multi
    multi: bool = False
    gives: list[int] = Field(default_factory=lambda: [0])
    time_suffix: bool = False  # OSWorld's; not read here


class CloudFileParams(VmFileParams):
    path: Resource | list[Resource]


class CommandParams(GetterParams):
    command: Command
    shell: bool | None = None  # default: a string command runs in a shell
    run_as: Literal["checker", "user"] = "checker"


class CommandLineParams(CommandParams):
    timeout: float = 60.0


class RuleParams(GetterParams):
    rules: dict[str, Any] | list[Any]


class RelativeTimeParams(GetterParams):
    rules: dict[str, Any]


class CacheFileParams(GetterParams):
    path: FileName  # a file a setup step saved in the episode's cache folder (its stdout=)


class DirectoryParams(GetterParams):
    path: GuestPath


class WindowSizeParams(GetterParams):
    app_class_name: str = ""


class A11yParams(GetterParams):
    max_depth: int | None = None
    max_nodes: int | None = None


class GimpConfigParams(DestParams):
    file_name: FileName


class VlcPlayingParams(DestParams):
    port: int | None = None
    password: str | None = None


class VscodeConfigParams(DestParams):
    vscode_extension_command: str | None = None
    path: GuestPath | None = None


class TimeRangeParams(GetterParams):
    diff_range_in_minutes: str | float


class GotoParams(GetterParams):
    goto_prefix: str | None = None


class PageParams(GotoParams):
    load_wait: float | None = None  # seconds to let the active page finish loading


class UrlParseParams(GotoParams):
    parse_keys: list[str] = Field(default_factory=list)
    replace: dict[str, str] = Field(default_factory=dict)


class DashPartParams(GotoParams):
    partIndex: int | None = None  # noqa: N815  (OSWorld's spelling)
    key: str | None = None
    needDeleteId: bool = False  # noqa: N815
    returnType: str = "string"  # noqa: N815


class HtmlParseParams(PageParams):
    category: str | None = None
    class_singleObject: dict[str, Any] = Field(default_factory=dict)  # noqa: N815
    class_multiObject: dict[str, Any] = Field(default_factory=dict)  # noqa: N815
    xpathObject: dict[str, Any] = Field(default_factory=dict)  # noqa: N815
    inputObject: dict[str, Any] = Field(default_factory=dict)  # noqa: N815


class HistoryParams(DestParams):
    pass


class ChromePrefsParams(GetterParams):
    key: str | list[str] | None = None
    local_state: bool = False


class VmFileContentParams(GetterParams):
    path: GuestPath
    file_type: str | None = None
    file_content: str | None = None


class SlideParams(DestParams):
    ppt_file_path: GuestPath
    slide_index: int


class PageInfoParams(GetterParams):
    url: PageUrl | None = None


class WebsiteInfoParams(GetterParams):
    url: PageUrl
    infos: list[dict[str, Any]] = Field(default_factory=list)
    backups: list[Any] | None = None


class PdfParams(DestParams):
    path: PageUrl  # the page to print


class RecreationParams(GetterParams):
    selector: str | None = None
    class_: str | None = Field(default=None, alias="class")
    order: str | None = None
    url: PageUrl | None = None
