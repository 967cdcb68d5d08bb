"""The package order of DESIGN.md §7 and the issue that set it, proven on the source:

    reference, auth <- cases <- scheduling, imports <- intake <- partners <- workshops <- checks <- reports
    <- privacy, admin

scheduling sits below the three record packages because they queue mails and use signed links
(self-check, referrals); what it must know of their data it gets through registries. checks sits
above partners and workshops because its recommendations name them. A lower package reacts to a
higher one only through a registry that the higher one fills in its init_app. imports (the register's import and
the lead's opening of cases for a selection) needs only cases and reference: it sits beside scheduling, and the
follow-ups and funnel rows of the cases it opens come through the cases registry's bulk hook. intake (the public
request page) opens cases and queues mails, so it sits above scheduling; nothing needs it. admin (the
administrator's maintenance of region and trades) sits on top beside privacy: refusing to delete what businesses
use needs the cases package.
"""

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
LAYERS = [{"reference", "auth"}, {"cases"}, {"scheduling", "imports"}, {"intake"}, {"partners"}, {"workshops"},
          {"checks"}, {"reports"}, {"privacy", "admin"}]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
# Below every package:
BASE = {"extensions", "errors", "timeutil", "vocabulary", "transactions", "inputs", "upserts", "counting",
        "headers", "chamber"}
TOP = {"__init__", "web", "cli", "demo", "demo_bulk", "demo_followups", "models"}  # the composition root and tools
VIEW_MODULES = {"views", "public_views", "measures_views"}
TEMPLATE_FOLDERS = {"cases": {"cases", "measures"}, "checks": {"checks", "public"}, "scheduling": {"scheduling",
                    "public"}, "partners": {"partners"}, "workshops": {"workshops"}, "reports": {"reports"},
                    "auth": {"auth"}, "privacy": {"privacy"}, "imports": {"imports"}, "admin": {"admin"},
                    "intake": {"intake"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in APP.rglob("*.py")}


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """The app modules a file imports (`from app.x import y` counts app.x.y when that is a module)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "app":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "app")
    return found & set(MODULES)


def _package(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def test_no_import_cycle_between_modules():
    graph = {name: _imports(path, module_level_only=True) for name, path in MODULES.items()}
    # A parent package's __init__ importing its own submodules is how packages work, not a cycle.
    graph = {name: {d for d in deps if not d.startswith(name + ".")} for name, deps in graph.items()}
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == []


def _package_modules():
    """(module, path, package) of every module inside a domain package."""
    for name, path in MODULES.items():
        package = _package(name)
        if package not in TOP and package not in BASE:
            yield name, path, package


def test_packages_depend_only_on_lower_ones():
    wrong = []
    for name, path, package in _package_modules():
        for target in _imports(path, module_level_only=False):
            other = _package(target)
            if other == package or other in BASE:
                continue
            if other in TOP or RANK[other] >= RANK[package]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_package_imports_another_packages_views_or_templates():
    wrong = []
    for name, path, package in _package_modules():
        for target in _imports(path, module_level_only=False):
            if _package(target) != package and target.rsplit(".", 1)[-1] in VIEW_MODULES:
                wrong.append(f"{name} imports {target}")
        for folder in re.findall(r"[\"']([a-z_]+)/[\w.]+\.html[\"']", path.read_text()):
            if folder not in TEMPLATE_FOLDERS.get(package, set()) | {"mail", "errors"}:
                wrong.append(f"{name} uses the template folder {folder}/")
    assert wrong == []


def test_the_base_modules_import_no_package():
    for name in BASE:
        assert {_package(t) for t in _imports(MODULES[f"app.{name}"], False)} <= BASE, name


def test_only_the_request_wrapper_unit_of_work_and_the_outbox_commit():
    committing = {name for name, path in MODULES.items() if re.search(r"\.commit\(\)", path.read_text())}
    assert committing == {"app.transactions", "app.scheduling.outbox", "app.scheduling.dispatch"}
    rolling_back = {name for name, path in MODULES.items() if re.search(r"\.rollback\(\)", path.read_text())}
    assert rolling_back == {"app.transactions"}
