from django.http import HttpResponse


def home(request, **kwargs):  # placeholder until the atlas pages land
    return HttpResponse("coopatlas")
