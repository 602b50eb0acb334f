import json
import os

import pytest


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    """Synthesize once per session (cdk-nag runs as a policy-validation plugin: findings fail synth)."""
    from infra.synth import synth

    out = tmp_path_factory.mktemp("cdk.out")
    assembly, stack = synth(str(out), stage="test")
    template_path = os.path.join(assembly.directory, f"{stack.stack_name}.template.json")
    with open(template_path) as fh:
        template = json.load(fh)
    return {"stack": stack, "template_path": template_path, "template": template, "dir": assembly.directory}


@pytest.fixture(scope="session")
def template(synthesized):
    from aws_cdk.assertions import Template

    return Template.from_json(synthesized["template"])
