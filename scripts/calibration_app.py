"""The calibration of ``make bench``: a bare FastAPI endpoint, the least a request to a FastAPI service
costs on this machine. bench.py runs it in one uvicorn process of the project's virtual environment
and measures it with the same ``hey`` settings as the stack, in the same run, so the stack's figures
can be given as ratios that another machine reproduces."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
