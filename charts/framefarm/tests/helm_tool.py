"""Real Helm (helm-sdkpy, which embeds the Helm library) for the chart's tests.

Subcommands, each exiting non-zero with a message on stderr when something is wrong:

  lint CHART                      helm lint; fails on any warning or error
  install CHART --release R --namespace NS --kubeconfig K [--values-json JSON] [--json]
                                  helm install (no --wait: the emulator runs no Deployment
                                  controller); prints the release manifest, as YAML or as a
                                  JSON list of its objects
  manifest --release R --namespace NS --kubeconfig K [--json]
                                  prints the manifest of an installed release
  validate [--kubernetes-version V] [FILE]
                                  checks every object of a manifest (FILE or stdin) of a
                                  built-in kind against the Kubernetes OpenAPI schemas with
                                  kubernetes-validate; kinds it has no schema for are listed
                                  as skipped

It does not talk to the cluster other than through Helm.
"""

import argparse
import asyncio
import json
import sys

import helm_sdkpy
import kubernetes_validate
import yaml

# helm's support.Severity values
SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def fail(message: str) -> None:
    print(f"helm_tool: {message}", file=sys.stderr)
    sys.exit(1)


def configuration(args: argparse.Namespace) -> helm_sdkpy.Configuration:
    return helm_sdkpy.Configuration(namespace=args.namespace, kubeconfig=args.kubeconfig)


async def lint(args: argparse.Namespace) -> None:
    result = await helm_sdkpy.Lint(helm_sdkpy.Configuration()).run(args.chart)
    problems = []
    for message in result.get("Messages") or []:
        severity = SEVERITY.get(message.get("Severity"), "UNKNOWN")
        # helm-sdkpy serialises the Go error as an object; its text is kept when it has one.
        text = json.dumps(message.get("Err")) if message.get("Err") else ""
        line = f"[{severity}] {message.get('Path')} {text}".rstrip()
        print(line)
        if message.get("Severity", 0) >= 2:
            problems.append(line)
    if result.get("Errors"):
        problems.append(f"{len(result['Errors'])} error(s)")
    if problems:
        fail(f"lint of {args.chart} found problems: " + "; ".join(problems))
    print(f"lint of {args.chart}: clean")


async def install(args: argparse.Namespace) -> None:
    values = json.loads(args.values_json) if args.values_json else None
    try:
        release = await helm_sdkpy.Install(configuration(args)).run(
            args.release,
            args.chart,
            values=values,
            wait=False,
            create_namespace=True,
        )
    except helm_sdkpy.HelmError as error:
        fail(f"install of {args.chart} as {args.release} failed: {error}")
    manifest = release.get("manifest")
    if manifest is None:
        manifest = await release_manifest(args)
    show(manifest, args.json)


def show(manifest: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps([document for document in yaml.safe_load_all(manifest) if document]))
    else:
        print(manifest)


async def release_manifest(args: argparse.Namespace) -> str:
    try:
        status = await helm_sdkpy.Status(configuration(args)).run(args.release)
    except helm_sdkpy.HelmError as error:
        fail(f"status of release {args.release} failed: {error}")
    manifest = status.get("manifest")
    if not manifest:
        fail(f"release {args.release} has no manifest; keys: {sorted(status)}")
    return manifest


async def manifest(args: argparse.Namespace) -> None:
    show(await release_manifest(args), args.json)


def validate(args: argparse.Namespace) -> None:
    text = open(args.file).read() if args.file else sys.stdin.read()
    failures = []
    checked = 0
    for document in yaml.safe_load_all(text):
        if not document:
            continue
        kind = document.get("kind")
        name = (document.get("metadata") or {}).get("name")
        what = f"{kind}/{name}"
        try:
            kubernetes_validate.validate(document, args.kubernetes_version, strict=True)
            checked += 1
        except kubernetes_validate.SchemaNotFoundError:
            print(f"skipped {what}: not a built-in kind of Kubernetes {args.kubernetes_version}")
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            failures.append(f"{what}: {path or '(top)'}: {error.message}")
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        fail(f"{len(failures)} object(s) do not match the Kubernetes {args.kubernetes_version} schemas")
    if checked == 0:
        fail("no object of a built-in kind was found to validate")
    print(f"validated {checked} object(s) against Kubernetes {args.kubernetes_version}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="helm_tool")
    commands = parser.add_subparsers(dest="command", required=True)

    lint_parser = commands.add_parser("lint")
    lint_parser.add_argument("chart")

    def release_args(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--release", required=True)
        sub.add_argument("--namespace", required=True)
        sub.add_argument("--kubeconfig", required=True)
        sub.add_argument("--json", action="store_true", help="the objects as a JSON list")

    install_parser = commands.add_parser("install")
    install_parser.add_argument("chart")
    release_args(install_parser)
    install_parser.add_argument("--values-json", default="")

    manifest_parser = commands.add_parser("manifest")
    release_args(manifest_parser)

    validate_parser = commands.add_parser("validate")
    validate_parser.add_argument("file", nargs="?")
    validate_parser.add_argument("--kubernetes-version", default="1.32")

    args = parser.parse_args()
    if args.command == "lint":
        asyncio.run(lint(args))
    elif args.command == "install":
        asyncio.run(install(args))
    elif args.command == "manifest":
        asyncio.run(manifest(args))
    else:
        validate(args)


if __name__ == "__main__":
    main()
