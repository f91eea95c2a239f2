from ninja import Router

router = Router(tags=["console: catalog"])
