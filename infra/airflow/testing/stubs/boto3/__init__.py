"""Stand-in for boto3.client('sns'): records publish calls; OPENAQ_STUB_SNS_FAIL makes them raise."""
import os

PUBLISHED = []


class _Sns:
    def __init__(self, region_name):
        self.region_name = region_name

    def publish(self, **kwargs):
        if os.environ.get("OPENAQ_STUB_SNS_FAIL"):
            raise RuntimeError("SNS unreachable")
        PUBLISHED.append(dict(kwargs, region_name=self.region_name))
        return {"MessageId": "stub"}


def client(service_name, region_name=None, **_):
    if service_name != "sns":
        raise ValueError("only sns is stubbed")
    return _Sns(region_name)
