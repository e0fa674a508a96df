"""hedgerow-client: send events from Python backends to Hedgerow.

    from hedgerow_client import Client

    client = Client("phc_...", host="http://127.0.0.1:8000", super_properties={"source": "backend"})
    client.capture("Order created", distinct_id="user_123", properties={"orderId": "ord_1"})
    client.shutdown()

The middlewares live in `hedgerow_client.asgi` and `hedgerow_client.wsgi`.
"""

from hedgerow_client.client import Client
from hedgerow_client.delivery import Stats
from hedgerow_client.jobs import Job, JobRun
from hedgerow_client.transport import RetryPolicy
from hedgerow_client.version import VERSION

__all__ = ["VERSION", "Client", "Job", "JobRun", "RetryPolicy", "Stats"]
