"""Facts about a web request that every floor may ask: which face it is for."""

from flask import request

#: the JSON API's URL prefix: its requests authenticate by token and are answered in JSON
API_PREFIX = "/api/"


def is_api_request():
    """Whether the current request is for the JSON API."""
    return request.path.startswith(API_PREFIX)
