"""AST rewrite of cell code, so the recorder learns what ``sys.monitoring`` cannot see.

``sys.monitoring`` (and the trace hook on 3.11) report every transition of a generator,
coroutine or async generator, but not

* the value passed to ``send()`` / ``asend()`` (the value a ``yield``/``await``
  expression *receives* when its frame resumes),
* which call created a generator object,
* a ``close()`` on CPython 3.13, when the generator is suspended outside any ``try``.

This module rewrites the cell's AST so that those facts flow through four names the
recorder keeps in :mod:`builtins` (dunders, so class-body name mangling leaves them
alone).  This module only *emits* references to them; the recorder defines them:

``__avz_on__``
    a bool, True only while a trace is recording;
``__avz_sent__(value) -> value``
    the value an expression received when its frame resumed;
``__avz_new__(obj) -> obj``
    a generator / coroutine / async generator (or, for decorated functions, whatever
    the call returned: check the type) was just created;
``__avz_sync__(result, obj) -> result``
    ``obj.close()`` just returned ``result`` (``obj`` may be any object with a
    ``close`` method: check the type).

Untraced, rewritten code must cost almost nothing, so a wrapped expression ``E``
becomes ``(__avz_sent__(E) if __avz_on__ else E')`` with ``E'`` a copy of ``E``:
exactly one branch runs, ``E`` is evaluated once, and the untraced cost is one
(builtin) global lookup and a branch.  It is written ``(E' if not __avz_on__ else
__avz_sent__(E))``: the same thing, but the untraced branch falls through instead of
being a jump target, which would add a line event.  Every new node takes the source
location of the node it replaces, so tracebacks show the same lines and carets, and
untraced rewritten code produces exactly the original's line events (settrace and
sys.monitoring LINE), which matters to debuggers and coverage.

Note that ``__avz_on__`` is tested *before* the operand runs, i.e. before the frame
suspends: a frame that suspended while the trace was off will not report the value
it receives after the trace started, and a frame that suspended during a trace calls
``__avz_sent__`` after it stopped (the helper must then do nothing).  The names must
stay defined in :mod:`builtins` for as long as rewritten code can run.

Rewrites:

1. ``yield v`` / ``yield`` / ``yield from x`` / ``await x`` ->
   ``(__avz_sent__(<it>) if __avz_on__ else <copy>)`` (children first).
2. ``async for T in it:`` / ``async with a as T:`` with ``T`` a name or a tuple/list of
   names: the body starts with ``if __avz_on__: __avz_sent__(T)``.  Comprehensions are
   left alone.
3. A call ``f(...)`` / ``x.f(...)`` where ``f`` names a generator, async generator or
   coroutine function defined in any code this rewriter has seen (a pre-pass over the
   whole cell runs first) -> ``(__avz_new__(<call>) if __avz_on__ else <copy>)``;
   ``NAME.close()`` -> ``(__avz_sync__(NAME.close(), NAME) if __avz_on__ else NAME.close())``:
   on 3.13 a ``close()`` of a generator suspended outside any ``try`` runs no code and
   fires no event, so the recorder looks at the generator right after.  (Function bodies
   are not wrapped in ``try``/``finally`` to make that close visible: a frame left
   through that ``finally`` reports another line, which broke IPython's tracebacks.)

Annotations are never rewritten (under ``from __future__ import annotations`` they
become strings).  The rewrite is idempotent: code that already carries the
``__avz_on__`` test is left as it is.

Public API: :class:`CellRewriter` (an IPython ``ast_transformers`` entry),
:func:`rewrite`, :func:`compile_rewritten`, :func:`exec_rewritten`.
"""

from __future__ import annotations

import ast
import copy
import linecache
from typing import Any

__all__ = [
    "ON",
    "SENT",
    "NEW",
    "SYNC",
    "CellRewriter",
    "rewrite",
    "compile_rewritten",
    "exec_rewritten",
]

#: the names the rewritten code refers to (defined by the recorder in ``builtins``)
ON = "__avz_on__"
SENT = "__avz_sent__"
NEW = "__avz_new__"
SYNC = "__avz_sync__"

_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DECLARATIONS = (ast.Global, ast.Nonlocal)
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


# --------------------------------------------------------------------------- helpers


def _located(new: ast.AST, old: ast.AST) -> ast.AST:
    """Give ``new`` and every node below it that has no location the location of ``old``."""
    loc = {a: getattr(old, a, None) for a in _LOCATION}
    if loc["lineno"] is None:  # ``old`` has no location: leave it to fix_missing_locations
        return new
    for node in ast.walk(new):
        if "lineno" in node._attributes and getattr(node, "lineno", None) is None:
            for a, v in loc.items():
                setattr(node, a, v)
    return new


def _name(id_: str) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Load())


def _is_on_test(node: ast.AST) -> bool:
    """``__avz_on__`` or ``not __avz_on__``: the test of code this module wrote."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        node = node.operand
    return isinstance(node, ast.Name) and node.id == ON


def _starts_with_record(body: list[ast.stmt]) -> bool:
    """The body of an ``async for``/``async with`` this module already rewrote."""
    return bool(body) and isinstance(body[0], ast.If) and _is_on_test(body[0].test)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_generator(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
    """True when ``yield``/``yield from`` occurs in ``fn``'s own scope.

    Parts of nested scopes that the enclosing scope evaluates (decorators, defaults,
    class bases, the outermost iterable of a comprehension) belong to ``fn``.
    """
    stack: list[ast.AST] = list(fn.body) if isinstance(fn.body, list) else [fn.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, _FUNCS):
            stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
        elif isinstance(node, ast.ClassDef):
            stack.extend(node.decorator_list)
            stack.extend(node.bases)
            stack.extend(node.keywords)
        elif isinstance(node, _COMPS):
            stack.append(node.generators[0].iter)
        else:
            stack.extend(ast.iter_child_nodes(node))
    return False


def generator_function_names(tree: ast.AST) -> set[str]:
    """Names of the generator, async generator and coroutine functions (and methods)
    defined anywhere in ``tree``."""
    names: set[str] = set()

    def scan(node: ast.AST, cls: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.AsyncFunctionDef) or (
                isinstance(child, ast.FunctionDef) and _is_generator(child)
            ):
                names.add(child.name)
                # a private method is also called by its mangled name from outside
                if cls and child.name.startswith("__") and not child.name.endswith("__"):
                    names.add(f"_{cls}{child.name}")
            if isinstance(child, ast.ClassDef):  # mangling: the innermost class
                scan(child, child.name.lstrip("_") or None)
            else:
                scan(child, cls)

    scan(tree, None)
    return names


def _simple_target(target: ast.AST) -> bool:
    """A target that can be read back without side effects: names, tuples/lists of them."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Starred):
        return _simple_target(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_simple_target(e) for e in target.elts)
    return False


def _as_load(target: ast.expr) -> ast.expr:
    """A copy of a simple target that reads it (lists become tuples)."""
    if isinstance(target, ast.Name):
        new: ast.expr = ast.Name(id=target.id, ctx=ast.Load())
    elif isinstance(target, ast.Starred):
        new = ast.Starred(value=_as_load(target.value), ctx=ast.Load())
    else:
        assert isinstance(target, (ast.Tuple, ast.List)), target  # _simple_target said so
        new = ast.Tuple(elts=[_as_load(e) for e in target.elts], ctx=ast.Load())
    return ast.copy_location(new, target)


# ------------------------------------------------------------------------ transformer


class _Transformer(ast.NodeTransformer):
    """Does the rewrite, in place; :class:`CellRewriter` is the safe entry point."""

    def __init__(self, registry: set[str]):
        self.registry = registry

    # -- the conditional -------------------------------------------------------------

    def _wrap(self, helper: str, node: ast.expr, *extra: ast.expr) -> ast.expr:
        """``(<copy of node> if not __avz_on__ else helper(node, *extra))`` at node's place.

        The same as ``(helper(node, *extra) if __avz_on__ else <copy>)``, but the
        untraced branch is the fall-through one: it starts at no jump target, so it
        adds no line event (settrace, sys.monitoring LINE) to the original's.
        """
        plain = copy.deepcopy(node)
        call = ast.Call(func=_name(helper), args=[node, *extra], keywords=[])
        test = ast.UnaryOp(op=ast.Not(), operand=_name(ON))
        new = ast.IfExp(test=test, body=plain, orelse=call)
        _located(new, node)
        return new

    # -- 1. yield / yield from / await -------------------------------------------------

    def _visit_suspension(self, node: ast.expr) -> ast.expr:
        self.generic_visit(node)
        return self._wrap(SENT, node)

    visit_Yield = _visit_suspension
    visit_YieldFrom = _visit_suspension
    visit_Await = _visit_suspension

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        if _is_on_test(node.test):  # already rewritten
            return node
        return self.generic_visit(node)

    def visit_If(self, node: ast.If) -> ast.AST:
        if _is_on_test(node.test):  # already rewritten
            return node
        return self.generic_visit(node)

    # -- 2. async for / async with -----------------------------------------------------

    def _record_targets(self, targets: list[ast.expr]) -> list[ast.stmt]:
        out = []
        for target in targets:
            if target is None or not _simple_target(target):
                continue
            call = ast.Call(func=_name(SENT), args=[_as_load(target)], keywords=[])
            stmt = ast.If(test=_name(ON), body=[ast.Expr(value=call)], orelse=[])
            out.append(_located(stmt, target))
        return out

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
        done = _starts_with_record(node.body)
        self.generic_visit(node)
        if not done:
            node.body[:0] = self._record_targets([node.target])
        return node

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
        done = _starts_with_record(node.body)
        self.generic_visit(node)
        if not done:
            node.body[:0] = self._record_targets(
                [i.optional_vars for i in node.items if i.optional_vars is not None]
            )
        return node

    # -- annotations are left alone ------------------------------------------------------

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        # annotations are not rewritten: with ``from __future__ import annotations``
        # the compiler turns them into strings by unparsing the AST
        returns, node.returns = node.returns, None
        self.generic_visit(node)
        node.returns = returns
        return node

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node  # only an annotation below

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        annotation = node.annotation
        self.generic_visit(node)
        node.annotation = annotation
        return node

    # -- 3. calls that create generators, close() --------------------------------------

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute):
            name = func.attr
        else:
            return node
        if (
            name == "close"
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and not node.args
            and not node.keywords
        ):
            obj = ast.Name(id=func.value.id, ctx=ast.Load())
            ast.copy_location(obj, func.value)
            return self._wrap(SYNC, node, obj)
        if name in self.registry:
            return self._wrap(NEW, node)
        return node


# -------------------------------------------------------------------------- public API


def rewrite(tree: ast.AST, registry: set[str] | None = None) -> ast.AST:
    """Rewrite ``tree`` (an ``ast.Module``; ``Expression``/``Interactive`` work too)
    in place and return it.

    ``registry``, if given, is the set of names of generator/coroutine functions seen
    so far; the names defined in ``tree`` are added to it *before* the rewrite, so a
    call that comes before its ``def`` counts too.  Raises on unexpected input; use
    :class:`CellRewriter` where that must not happen.
    """
    if registry is None:
        registry = set()
    registry |= generator_function_names(tree)
    tree = _Transformer(registry).visit(tree)
    ast.fix_missing_locations(tree)
    return tree


class CellRewriter(ast.NodeTransformer):
    """An entry for IPython's ``shell.ast_transformers``: ``visit(module)`` returns the
    rewritten module.  Never raises: on any error it returns the node it was given,
    unmodified, and keeps the exception in :attr:`last_error`.

    :attr:`known_generator_functions` collects, across cells, the names of the
    generator, async generator and coroutine functions defined in rewritten code.
    """

    def __init__(self) -> None:
        super().__init__()
        self.known_generator_functions: set[str] = set()
        self.last_error: BaseException | None = None

    def visit(self, node: ast.AST) -> ast.AST:
        try:
            work = copy.deepcopy(node)
            names = set(self.known_generator_functions)
            result = rewrite(work, names)
        except Exception as exc:  # IPython drops a transformer that raises
            self.last_error = exc
            return node
        self.known_generator_functions |= names
        self.last_error = None
        return result


#: the rewriter behind :func:`compile_rewritten`, so names persist between calls
_shared = CellRewriter()


def compile_rewritten(source: str, filename: str, mode: str = "exec", flags: int = 0) -> Any:
    """Parse ``source``, rewrite it (names persist between calls) and compile it.

    ``flags`` are passed to :func:`compile` (e.g. ``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``).
    Errors in the rewrite are raised, not hidden.
    """
    tree = compile(source, filename, mode, flags | ast.PyCF_ONLY_AST, dont_inherit=True)
    tree = rewrite(tree, _shared.known_generator_functions)
    assert isinstance(tree, (ast.Module, ast.Expression, ast.Interactive)), tree
    return compile(tree, filename, mode, flags, dont_inherit=True)


def exec_rewritten(
    source: str, globals_dict: dict[str, Any], filename: str = "<asyncviz-test>"
) -> dict[str, Any]:
    """:func:`compile_rewritten` ``source``, make its lines known to :mod:`linecache`
    (so tracebacks show them), and ``exec`` it in ``globals_dict`` (returned)."""
    code = compile_rewritten(source, filename, "exec")
    register_source(source, filename)
    exec(code, globals_dict)
    return globals_dict


def register_source(source: str, filename: str) -> None:
    """Put ``source`` in :mod:`linecache` under ``filename`` (kept by ``checkcache``)."""
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    linecache.cache[filename] = (len(source), None, lines, filename)
