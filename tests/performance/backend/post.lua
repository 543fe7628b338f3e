-- wrk script: POST the JSON body given in the WRK_BODY environment variable.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
