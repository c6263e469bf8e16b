"""What gunicorn serves: `gunicorn -c config/gunicorn.conf.py services.game_api.wsgi:app`."""

from services.game_api import create_app

app = create_app()
