"""The layout rules DESIGN.md sets, checked on the source itself."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "giftshop"
TESTS = Path(__file__).resolve().parent


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", "."), path


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_dependencies_point_downstream_only():
    wrong = []
    for name, path in _modules():
        imported = _imports(path)
        if name.startswith(("giftshop.vouchers", "giftshop.desk")):
            wrong += [(name, i) for i in imported if i.startswith("giftshop.checkout")]
        if not name.startswith("giftshop.admin") and name != "giftshop.__init__":
            wrong += [(name, i) for i in imported if i.startswith("giftshop.admin")]
        if name != "giftshop.checkout.stripe_gateway":
            wrong += [(name, i) for i in imported if i.split(".")[0] == "stripe"]
    assert wrong == []


def test_only_the_lifecycle_module_changes_a_vouchers_status_or_frozen_flag():
    writers = set()
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "voucher" and target.attr in ("status", "frozen")):
                        writers.add(name)
    assert writers == {"giftshop.vouchers.lifecycle"}


def test_no_module_is_longer_than_400_lines():
    long = {name: n for name, path in _modules() if (n := len(path.read_text().splitlines())) > 400}
    assert long == {}


def test_no_test_module_imports_from_another_test_module():
    """Shared helpers and fixtures live in tests/support (and conftest.py), never in a
    test module another one imports."""
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            if any(part.startswith("test_") for name in names for part in name.split(".")):
                wrong.append((path.relative_to(TESTS).as_posix(), node.lineno))
    assert wrong == []
