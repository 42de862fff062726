"""The API's Blueprint: flask-smorest's, with validation errors answered (and documented) as 400.

API.md answers bad input with 400 and the fields at fault; webargs' default is 422. Setting the
parser's status here keeps the OpenAPI document and the answers the same.
"""

import flask_smorest
from webargs.flaskparser import FlaskParser


class ArgumentsParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()
